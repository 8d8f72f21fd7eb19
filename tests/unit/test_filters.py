"""Source filters and wait_for_notification conditions on normalized events."""

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import EventMatcher, source_filter


def event(kind="os-message", name="LP1", cls="logical-partition", code="IEF238D", refresh=False, text="IEF238D X",
          status=None, job=None):
    hmc = {"type": kind, "resource": {"name": name, "class": cls},
           "os_message": {"code": code, "refresh": refresh, "text": text} if kind == "os-message" else None}
    if status:
        hmc["status"] = {"new": status}
    if job:
        hmc["job"] = {"uri": job}
    return {"hmc": hmc}


def test_no_filters_means_no_filter_function():
    assert source_filter(None) is None and source_filter({}) is None


def test_each_condition():
    accept = source_filter({"types": ["os-message"], "names": ["LP[12]"], "message_codes": ["IEF*", "re:IEA\\d+I"],
                            "exclude_refresh": "true"})
    assert accept(event())
    assert accept(event(code="IEA123I"))
    assert not accept(event(code="IXC123I"))
    assert not accept(event(name="LP3"))
    assert not accept(event(refresh=True))
    assert not accept(event(kind="status-change"))


def test_synthetic_events_always_pass():
    accept = source_filter({"types": "os-message"})
    assert accept(event(kind="connection-lost"))


def test_wait_conditions():
    assert EventMatcher(statuses=["stopped"]).accept(event(kind="status-change", status="stopped"))
    assert not EventMatcher(statuses="stopped").accept(event(kind="status-change", status="active"))
    assert EventMatcher(text="DEVICE").accept(event(text="IEF238D REPLY DEVICE NAME"))
    assert EventMatcher(job_uri="/api/jobs/1").accept(event(kind="job-completion", job="/api/jobs/1"))
    assert not EventMatcher(classes=["partition"]).accept(event())


def test_bad_patterns_are_named():
    with pytest.raises(ValueError, match=r"filters\.message_codes: invalid regular expression"):
        source_filter({"message_codes": ["re:("]})
