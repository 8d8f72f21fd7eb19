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


@pytest.mark.parametrize("option", ["message_codes", "names"])
def test_a_regex_with_a_comma_given_as_one_string_stays_one_pattern(option):
    """Issue 13 item 8: 're:IEA\\d{3,4}[AD]' as one string was split at its comma and dropped IEA404A."""
    pattern = "re:IEA\\d{3,4}[AD]" if option == "message_codes" else "LP\\d{1,2}"
    accept = source_filter({option: pattern})
    assert accept(event(code="IEA404A", name="LP12"))
    assert accept(event(code="IEA4040D", name="LP1"))
    assert not accept(event(code="IEA40I", name="LPX"))


def test_a_string_of_several_patterns_is_split_outside_brackets_only():
    accept = source_filter({"message_codes": "IEF238D, re:IEA(4|9)\\d{2,3}[A-Z], IXC\\,X", "names": "LP[1,2], P(A|B)"})
    assert all(accept(event(code=code, name=name)) for code, name in
               [("IEF238D", "LP1"), ("IEA404A", "LP,"), ("IEA9999Z", "PB"), ("IXC,X", "LP2")])
    assert not accept(event(code="IEA404A", name="LP3"))


@pytest.mark.parametrize("text", ["re:IEA\\d{3,4[AD]", "IEF*,", "IEF*, , IEA*"])
def test_a_string_that_cannot_be_split_safely_is_an_error(text):
    with pytest.raises(ValueError, match=r"filters\.message_codes: (unbalanced brackets|empty pattern)"):
        source_filter({"message_codes": text})


def os_event(held=False, priority=False, indicator="*", severity="warning", kind="os-message"):
    hmc = {"type": kind, "severity": severity, "resource": {"name": "LP1", "class": "logical-partition"}}
    if kind == "os-message":
        hmc["os_message"] = {"code": "IEF238D", "held": held, "priority": priority, "indicator": indicator,
                             "refresh": False, "text": "x"}
    return {"hmc": hmc}


def test_held_priority_indicator_and_severity_conditions():
    held = source_filter({"held": True})
    assert held(os_event(held=True)) and not held(os_event()) and not held(os_event(kind="status-change"))
    assert held(os_event(kind="connection-lost")), "the source's own events always pass"
    assert source_filter({"held": "false"})(os_event()) and not source_filter({"held": False})(os_event(held=True))
    assert source_filter({"priority": True})(os_event(priority=True))
    assert not source_filter({"priority": True})(os_event())
    system = source_filter({"indicators": ["*"]})
    assert system(os_event()) and not system(os_event(indicator="@")) and not system(os_event(indicator=None))
    assert source_filter({"indicators": "none, @"})(os_event(indicator=None))
    severe = source_filter({"severities": ["error", "critical"]})
    assert severe(os_event(severity="critical")) and not severe(os_event(severity="warning"))
    assert severe(os_event(kind="status-change", severity="error"))


@pytest.mark.parametrize(("spec", "message"), [
    ({"held": "maybe"}, r"filters\.held: expected a boolean"),
    ({"indicators": ["#"]}, r"filters\.indicators: unknown value\(s\) #;"),
    ({"severities": "warn"}, r"filters\.severities: unknown value\(s\) warn; expected info, warning"),
    ({"held_messages": True}, r"filters: unknown key\(s\) held_messages"),
])
def test_bad_new_conditions_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        source_filter(spec)
