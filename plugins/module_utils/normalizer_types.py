# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each notification type contributes to its events: the type's own sections and a severity.

One function per type, all with the same shape, so that adding a type is adding one function and one line in
HANDLERS. A function gets the headers and the decoded body (None when empty) and returns
``(items, problem)``: items is a list of ``(sections, severity)``, one per event; problem is None or the text
of a parse-error about parts of the body that did not have the documented shape (the good parts still become
events). OS messages are handled in normalizer_os.py because recovery shares that code.
"""

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import (
    iso_ms,
    sanitize,
    to_bool,
    to_int,
    to_str,
)

TROUBLE_STATUSES = frozenset((
    "status-check", "terminated", "degraded", "reservation-error", "exceptions", "not-communicating",
    "communications-not-active", "service-required", "no-power", "not-operating",
))
"""Statuses that need attention even when the console accepts them; any other status change is info."""


class BodyError(ValueError):
    """The body does not have the shape its notification type documents; becomes a parse-error event."""


def body_object(body, ntype):
    """The body as a dict ({} for an empty body); BodyError when it is JSON but not an object."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BodyError(f"{ntype} body is not a JSON object")
    return body


def body_list(body, key):
    """``body[key]`` as a list ([] when absent or null); BodyError when it is something else."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BodyError(f"{key} is not a list")
    return value


def skipped_problem(total, used, key):
    """The problem text for entries of ``key`` that could not be used, or None when all were used."""
    if used == total:
        return None
    return f"{total - used} of {total} {key} entries are not objects of the documented shape"


def property_change(headers, body):
    """One event with ``changes`` in the console's (temporal) order.

    Without change reports the property-names header (blank-separated, with leading and trailing blanks) still
    says which properties changed; old and new are then null.
    """
    reports, problem = _reports(body, "property-change")
    changes = [{"property": to_str(report.get("property-name")), "old": sanitize(report.get("old-value")),
                "new": sanitize(report.get("new-value"))} for report in reports]
    if not changes:
        names = to_str(headers.get("property-names")) or ""
        changes = [{"property": name, "old": None, "new": None} for name in names.split()]
    return [({"changes": changes}, "info")], problem


def _reports(body, ntype):
    """The change reports that are objects, and the problem text for those that are not."""
    reports = body_list(body_object(body, ntype), "change-reports")
    usable = [report for report in reports if isinstance(report, dict)]
    return usable, skipped_problem(len(reports), len(usable), "change-reports")


def status_change(headers, body):
    """One event; ``status`` summarizes the reports (first old, last new) so a rule needs no loop."""
    reports, problem = _reports(body, "status-change")
    changes = [{
        "property": "status",
        "old": to_str(report.get("old-status")),
        "new": to_str(report.get("new-status")),
        "old_additional": _additional(report.get("old-additional-status")),
        "new_additional": _additional(report.get("new-additional-status")),
        "unacceptable": to_bool(report.get("has-unacceptable-status")),
    } for report in reports]
    status = {"old": None, "new": None, "old_additional": [], "new_additional": [], "unacceptable": None}
    if changes:
        status.update(old=changes[0]["old"], old_additional=changes[0]["old_additional"], new=changes[-1]["new"],
                      new_additional=changes[-1]["new_additional"], unacceptable=changes[-1]["unacceptable"])
    return [({"changes": changes, "status": status}, status_severity(status))], problem


def status_severity(status):
    """critical for an unacceptable status, warning for a troubled one, info otherwise (docs/events.md)."""
    if status["unacceptable"]:
        return "critical"
    if status["new"] in TROUBLE_STATUSES:
        return "warning"
    return "info"


def _additional(value):
    if value is None:
        return []
    return sanitize(value) if isinstance(value, list) else [sanitize(value)]


def inventory_change(headers, body):
    """One event; the action (add or remove) is a header, the body is empty."""
    return [({"inventory": {"action": to_str(headers.get("action"))}}, "info")], None


def job_completion(headers, body):
    """One event for the job in the job-uri header.

    The console sends no body (null or ''), so status fields are null. A caller that queried the job may pass
    the Query Job Status response as the body; then a status code >= 400 makes the event an error and a
    canceled job a warning.
    """
    result = body_object(body, "job-completion")
    job = {
        "uri": to_str(headers.get("job-uri")),
        "status": to_str(result.get("status")),
        "status_code": to_int(result.get("job-status-code")),
        "reason_code": to_int(result.get("job-reason-code")),
        "results": sanitize(result.get("job-results")),
    }
    if job["status_code"] is not None and job["status_code"] >= 400:
        severity = "error"
    elif job["status"] == "canceled":
        severity = "warning"
    else:
        severity = "info"
    return [({"job": job}, severity)], None


def log_entry(headers, body):
    """One event per log entry (audit and security log topics)."""
    entries = body_list(body_object(body, "log-entry"), "log-entries")
    items = [({"log_entry": _log_entry(entry)}, "info") for entry in entries if isinstance(entry, dict)]
    if not entries:
        return [], "log-entry notification without log-entries"
    return items, skipped_problem(len(entries), len(items), "log-entries")


def _log_entry(entry):
    items = entry.get("event-data-items")
    data = [{
        "number": to_int(item.get("data-item-number")),
        "value": sanitize(item.get("data-item-value")),
        "type": to_str(item.get("data-item-type")),
    } for item in (items if isinstance(items, list) else []) if isinstance(item, dict)]
    return {
        "name": to_str(entry.get("event-name")),
        "id": to_str(entry.get("event-id")),
        "user": to_str(entry.get("userid")),
        "user_uri": to_str(entry.get("user-uri")),
        "message": to_str(entry.get("event-message")),
        "time": iso_ms(entry.get("event-time")),
        "data": data,
    }


def console_shutting_down(headers, body):
    """One critical event: the console goes away and every topic with it."""
    info = body_object(body, "console-shutting-down")
    shutdown = {
        "console_type": to_str(info.get("console-type")),
        "invoker": sanitize(info.get("invoker")),
        "reason": sanitize(info.get("reason")),
        "shutdown_type": to_str(info.get("shutdown-type")),
        "component": sanitize(info.get("component")),
    }
    return [({"shutdown": shutdown}, "critical")], None


def capacity_record_change(headers, body):
    """One event; the change type is read from the body, or from a header of the same name."""
    info = body_object(body, "capacity-record-change")
    change_type = info.get("capacity-record-change-type", headers.get("capacity-record-change-type"))
    return [({"capacity_record": {"change_type": to_str(change_type)}}, "info")], None


def console_starting(headers, body):
    """A warning: the console rebooted, so registrations and subscriptions must be set up again."""
    info = body_object(body, "console-starting")
    return [({"startup": {"console_type": to_str(info.get("console-type"))}}, "warning")], None


def console_heartbeat(headers, body):
    """An info event every 2 minutes; its absence is what matters (see heartbeat-missed)."""
    return [({}, "info")], None


def unknown(headers, body):
    """A type this version does not know: passed through with its body as ``body``, never an error."""
    return [({"body": sanitize(body)}, "info")], None


HANDLERS = {
    "property-change": property_change,
    "status-change": status_change,
    "inventory-change": inventory_change,
    "job-completion": job_completion,
    "log-entry": log_entry,
    "console-shutting-down": console_shutting_down,
    "capacity-record-change": capacity_record_change,
    "console-starting": console_starting,
    "console-heartbeat": console_heartbeat,
}
