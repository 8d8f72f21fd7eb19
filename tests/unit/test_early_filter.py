"""The early check agrees with normalize + filter: over generated notifications and filters, a notification it
drops is one of which the source filter keeps no event, and every well-formed OS message notification of which
the filter keeps nothing is dropped early."""

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils.early_filter import Triage, early_filter
from ansible_collections.zhmc.notifications.plugins.module_utils.event_filters import source_filter
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer import normalize

CONSOLE = {"host": "hmc1", "type": "hmc"}
CODES = ["IEF238D", "IEA404A", "IEA9999A", "IXC102A", "IEF403I", "$HASP373", "IOS000I", "CSQX209E", "IGD17272I"]
flags = st.one_of(st.booleans(), st.booleans(), st.booleans(), st.none(),
                  st.sampled_from(["true", "FALSE", " True ", "yes", "1", 1, 0, 2, 1.0]))
structured_texts = st.builds(
    lambda lead, reply, code, rest: f"{lead}{reply}{code}{rest}",
    st.sampled_from(["", "*", "@", "+", " ", "13.40.00 JOB00123  ", "*  "]),
    st.sampled_from(["", "05 ", "1234 ", "7"]),
    st.sampled_from([*CODES, "", "BOOT001I", "hello"]),
    st.sampled_from(["", " PAYROLL - REPLY", ".", "\n", "\r\n"]))
texts = st.one_of(
    structured_texts, structured_texts, structured_texts, st.text(max_size=40), st.none(), st.integers(),
    st.floats(allow_nan=False), st.lists(st.text(max_size=3), max_size=2),
)
entry_objects = st.fixed_dictionaries({}, optional={
    "message-text": texts, "is-held": flags, "is-priority": flags, "is-refresh": flags, "sound-alarm": flags,
    "sequence-number": st.one_of(st.integers(-5, 70000), st.sampled_from(["17", " 18 ", "x"]), st.none()),
    "timestamp": st.one_of(st.integers(-1, 2_000_000_000_000), st.text(max_size=5)),
    "message-id": st.one_of(st.text(max_size=4), st.integers()), "prompt-text": st.text(max_size=4),
    "os-name": st.sampled_from(["ZOS1", None, 3])})
entries = st.one_of(entry_objects, entry_objects, entry_objects, st.none(), st.integers(), st.text(max_size=5))
# Mostly well-formed OS message notifications (where both paths must agree exactly), some of every other kind.
os_lists = st.lists(entries, min_size=1, max_size=4).map(lambda items: {"os-messages": items})
os_bodies = st.one_of(os_lists, os_lists, os_lists, os_lists,
                      st.sampled_from([{}, {"os-messages": None}, {"os-messages": "x"}, [], None]))
bodies = st.one_of(os_bodies.map(json.dumps), os_bodies.map(json.dumps),
                   os_bodies.map(lambda body: json.dumps(body).encode()), st.sampled_from(["{", "", "null", "[1,"]))
frame_headers = st.fixed_dictionaries(
    {"notification-type": st.sampled_from(["os-message"] * 8 + [" os-message ", "status-change", "os_message", ""])},
    optional={"class": st.sampled_from(["partition", "logical-partition", ""]),
              "name": st.sampled_from(["LP01", "LP02", "PART1", "ZOSPROD"]),
              "object-uri": st.sampled_from(["/api/logical-partitions/1", "/api/partitions/2"]),
              "element-uri": st.sampled_from(["/api/x/3"]),
              "session-sequence-nr": st.integers(0, 99).map(str), "global-sequence-nr": st.integers(0, 99).map(str),
              "timestamp": st.integers(0, 2_000_000_000_000).map(str)})
CONDITIONS = {
    "types": st.lists(st.sampled_from(["os-message", "status-change", "connection-lost"]), min_size=1, max_size=2),
    "classes": st.lists(st.sampled_from(["partition", "logical-partition"]), min_size=1, max_size=1),
    "names": st.lists(st.sampled_from(["LP0[12]", "PART.*", "ZOS.*"]), min_size=1, max_size=2),
    "message_codes": st.lists(st.sampled_from(["IEF*", "re:IEA\\d{3,4}[AD]", "IXC102A", "$HASP*"]), min_size=1,
                              max_size=2),
    "exclude_refresh": st.booleans(),
    "held": st.booleans(),
    "priority": st.booleans(),
    "indicators": st.lists(st.sampled_from(["*", "@", "+", "none"]), min_size=1, max_size=2),
    "severities": st.lists(st.sampled_from(["info", "warning", "error", "critical"]), min_size=1, max_size=2),
}
# One to three conditions: with all of them at once almost nothing passes and disagreements would hide.
filters = st.lists(st.sampled_from(sorted(CONDITIONS)), min_size=1, max_size=3, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: CONDITIONS[key] for key in keys}))


def kept_and_noted(accept, headers, body):
    """What the source does without the early check: normalize, record OS message numbers, filter."""
    events = normalize(headers, body, console=CONSOLE)
    noted = [(e["hmc"]["resource"]["uri"], e["hmc"]["os_message"]["sequence_number"]) for e in events
             if e["hmc"]["type"] == "os-message" and not e["hmc"]["os_message"]["refresh"]]
    return [e for e in events if accept(e)], noted, events


HEADERS = {"notification-type": "os-message", "object-uri": "/api/partitions/1", "name": "PART1"}


def one_message(**entry):
    return json.dumps({"os-messages": [{"sequence-number": 5, **entry}]})


@settings(max_examples=3000, deadline=None)
@given(filters, frame_headers, bodies)
# A held message showing its reply id without indicator has a code only because it is held.
@example({"message_codes": ["IEF*"]}, HEADERS, one_message(**{"message-text": "05 IEF238D X", "is-held": True}))
# Held and sounding the alarm is critical, not warning.
@example({"severities": ["warning"]}, HEADERS,
         one_message(**{"message-text": "*05 IEF238D X", "is-held": "true", "sound-alarm": 1}))
def test_early_check_agrees_with_normalize_and_filter(spec, headers, body):
    accept = source_filter(spec)
    if accept is None:
        assert early_filter({"accept": None}) is None
        return
    check = early_filter({"accept": accept})
    noted = check.dropped_messages(headers, body)
    kept, expected_notes, events = kept_and_noted(accept, headers, body)
    if noted is not None:
        assert kept == [], "the early check dropped a notification the filter keeps events of"
        assert noted == expected_notes, "dropped OS messages must be recorded as the normal path records them"
    else:
        well_formed = events and all(e["hmc"]["type"] == "os-message" for e in events)
        assert kept or not well_formed, "a well-formed OS message notification the filter drops was not dropped early"


def test_held_filter_drops_routine_messages_early_and_keeps_held_ones():
    accept = source_filter({"held": True})
    check = early_filter({"accept": accept})
    headers = {"notification-type": "os-message", "object-uri": "/api/partitions/1", "name": "P"}
    routine = json.dumps({"os-messages": [{"message-text": "IEF403I JOB1 - STARTED", "sequence-number": 7}]})
    held = json.dumps({"os-messages": [{"message-text": "*05 IEF238D JOB1", "sequence-number": 8, "is-held": True}]})
    assert check.dropped_messages(headers, routine) == [("/api/partitions/1", 7)]
    assert check.dropped_messages(headers, held) is None
    assert check.dropped_messages(headers, "{not json") is None, "a parse-error always reaches the rulebook"


def test_triage_notes_what_it_drops_and_keeps_protected_topics():
    """A receiver's triage: a dropped frame becomes its drop_notes run (topic, session sequence numbers, ranges of
    OS message numbers); a frame of a protected topic (BCPii, reassembled from parts) is kept whatever it holds."""
    triage = Triage(early_filter({"accept": source_filter({"held": True})}), protected_topics=["bcpii.topic"])
    routine = json.dumps({"os-messages": [{"message-text": "IEF403I JOB1 - STARTED", "sequence-number": 7},
                                          {"message-text": "IEF404I JOB1 - ENDED", "sequence-number": 8}]})
    headers = {**HEADERS, "destination": "/topic/os.topic", "session-sequence-nr": "41"}
    assert triage.dropped(headers, routine) == ["os.topic", 41, 41, [["/api/partitions/1", 7, 8]]]
    assert triage.dropped({**headers, "destination": "/topic/bcpii.topic"}, routine) is None
    assert triage.dropped(headers, one_message(**{"message-text": "*05 IEF238D X", "is-held": True})) is None
    assert triage.dropped({"destination": "/topic/os.topic"}, "{not json") is None
