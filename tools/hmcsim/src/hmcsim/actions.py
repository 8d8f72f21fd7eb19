"""State changes that produce notifications, shared by the timeline, the control API and jobs."""

import time
import uuid

from hmcsim.model import Console, Resource
from hmcsim.notifier import Notifier, now_ms
from hmcsim.scenario import Guest


class Actions:
    """Changes console state and emits the notifications a console would emit for the change."""

    def __init__(self, console: Console, notifier: Notifier):
        self.console = console
        self.notifier = notifier

    async def set_status(self, resource: Resource, status: str, additional: list | None = None) -> None:
        """A status change: status-change, then property-change of what changed (nothing when nothing did)."""
        old = resource.props.get("status")
        old_additional = resource.props.get("additional-status", [])
        acceptable = resource.props.get("acceptable-status", [])
        unacceptable = bool(acceptable) and status not in acceptable
        if (old, old_additional) == (status, additional or []):
            return
        report = {"old-status": old, "old-additional-status": old_additional, "new-status": status,
                  "new-additional-status": additional or [], "has-unacceptable-status": unacceptable}
        resource.props["additional-status"] = additional or []
        changes = self._apply(resource, {"status": status, "has-unacceptable-status": unacceptable})
        await self.notifier.object_notification("status-change", resource, {"change-reports": [report]})
        await self._report(resource, changes)

    async def set_properties(self, resource: Resource, properties: dict) -> None:
        """property-change for the properties whose value changes, with the value each had before."""
        await self._report(resource, self._apply(resource, properties))

    @staticmethod
    def _apply(resource: Resource, properties: dict) -> list[dict]:
        """Set the properties; the change reports of those whose value changed, old value first."""
        reports = []
        for name, value in properties.items():
            before = resource.props.get(name)
            if before != value:
                resource.props[name] = value
                reports.append({"property-name": name, "old-value": before, "new-value": value})
        return reports

    async def _report(self, resource: Resource, reports: list[dict]) -> None:
        if reports:
            names = " " + " ".join(r["property-name"] for r in reports) + " "
            await self.notifier.object_notification("property-change", resource, {"change-reports": reports},
                                                    {"property-names": names})

    async def add_guest(self, cpc: Resource, name: str, status: str | None, os_name: str | None) -> Resource:
        dpm = cpc.props["dpm-enabled"]
        guest = Guest(name=name, status=status or ("stopped" if dpm else "not-activated"), os_name=os_name,
                      os_type="Linux" if dpm else "MVS",
                      acceptable_status=["active", "degraded"] if dpm else ["operating"], fail_jobs=[])
        resource = self.console.add_guest(cpc, guest)
        await self.notifier.object_notification("inventory-change", resource, None, {"action": "add"})
        return resource

    async def remove(self, resource: Resource) -> None:
        self.console.remove_resource(resource)
        await self.notifier.object_notification("inventory-change", resource, None, {"action": "remove"})

    async def log_entry(self, log: str, event_name: str, event_id: str = "", message: str = "",
                        userid: str = "operator") -> dict:
        entry = {"event-time": now_ms(), "event-name": event_name, "event-id": event_id or "1",
                 "userid": userid, "user-uri": f"/api/users/{uuid.uuid5(uuid.NAMESPACE_URL, userid)}",
                 "event-message": message or event_name,
                 "event-data-items": [{"data-item-number": 0, "data-item-value": userid, "data-item-type": "string"}]}
        self.console.logs[log].append(entry)
        await self.notifier.log_entry(log, entry)
        return entry

    async def capacity_record_change(self, cpc: Resource, change_type: str = "activation") -> None:
        await self.notifier.object_notification("capacity-record-change", cpc,
                                                {"capacity-record-change-type": change_type})

    async def shutting_down(self, reason: str = "restart", invoker: str = "operator",
                            shutdown_type: str = "restart") -> None:
        await self.notifier.console_notification("console-shutting-down", {
            "console-type": self.console.type, "invoker": invoker, "reason": reason,
            "shutdown-type": shutdown_type, "component": "console"})

    def restart(self, down_seconds: float = 0.0) -> None:
        """Invalidate every session (topics die with them); the WS API answers 503 while down."""
        self.console.restart()
        self.console.down_until = time.monotonic() + down_seconds
