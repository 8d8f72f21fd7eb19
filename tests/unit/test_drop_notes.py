"""Runs of dropped notifications tell the source exactly what the notes one by one told it: over generated
streams (gaps, steps back, wraps, missing numbers, several partitions), gap reports and recovery cursors come
out the same whether each dropped notification is handled alone or merged into runs in batches of any size."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils.cursors import DUPLICATE, RecoveryCursors
from ansible_collections.zhmc.notifications.plugins.module_utils.drop_notes import add_run, run_of
from ansible_collections.zhmc.notifications.plugins.module_utils.recovery import SessionSequence

URIS = ["/api/partitions/1", "/api/partitions/2", None]
WRAP = 2**32 - 2

# Mostly the next number; sometimes a gap, a step back (a duplicate or a new numbering), a wrap, no number.
steps = st.one_of(*[st.just(1)] * 8, st.integers(2, 5), st.integers(-6, 0), st.just("wrap"), st.just(None))


def follow(previous, step):
    if step is None:
        return None
    if step == "wrap":
        return 0
    return (WRAP if previous is None else previous) + step


notification = st.tuples(steps, st.sampled_from(["os.a", "os.b"]),
                         st.lists(st.tuples(st.sampled_from(URIS), steps), max_size=3))


def stream_of(drafts):
    """Dropped notifications as a receiver reads them: (topic, session-sequence-nr header, [(uri, OS number)])."""
    session, os_numbers, notes = None, {}, []
    for step, topic, messages in drafts:
        session = follow(session, step)
        noted = []
        for uri, os_step in messages:
            os_numbers[uri] = follow(os_numbers.get(uri), os_step)
            noted.append((uri, os_numbers[uri]))
        notes.append((topic, None if session is None else str(session), noted))
    return notes


def start_cursors(starts):
    cursors = RecoveryCursors()
    for uri, latest in zip(URIS, starts, strict=False):
        if latest != "uncovered":
            cursors.cover(uri, latest)
            if latest is not None:
                cursors.advance(uri, latest, text=f"delivered {latest}")
    return cursors


def one_by_one(notes, cursors):
    """What the source did with a note per dropped notification."""
    sequence, gaps = SessionSequence(), []
    for topic, header, messages in notes:
        missed = sequence.missed("session", None if header is None else int(header))
        if missed:
            gaps.append((topic, missed))
        for uri, seq in messages:
            if cursors.classify(uri, seq) != DUPLICATE:
                cursors.advance(uri, seq, "hmc1")
    return gaps


def in_runs(notes, cursors, batch_sizes):
    """What it does with the runs of batches (as the receiver process sends them)."""
    sequence, gaps, position = SessionSequence(), [], 0
    sizes = iter(batch_sizes)
    while position < len(notes):
        size = next(sizes, 1_000_000)
        runs = []
        for topic, header, messages in notes[position:position + size]:
            add_run(runs, run_of(topic, header, messages))
        position += size
        for topic, first, last, ranges in runs:
            missed = sequence.missed("session", first, last)
            if missed:
                gaps.append((topic, missed))
            for uri, seq_first, seq_last in ranges:
                cursors.pass_over(uri, seq_first, seq_last, "hmc1")
    return gaps


def verdicts(cursors, notes):
    """How the cursors judge every number seen and a few around them: the state a later message meets."""
    seen = {seq for _topic, _header, messages in notes for _uri, seq in messages if seq is not None}
    probes = sorted(seen | {n + delta for n in seen for delta in (-3, 1, 2)} | {0, WRAP})
    return {uri: [cursors.classify(uri, n) for n in probes] for uri in URIS}


@settings(max_examples=1500, deadline=None)
@given(st.lists(notification, max_size=60), st.lists(st.integers(1, 7), max_size=20),
       st.lists(st.one_of(st.none(), st.just("uncovered"), st.integers(WRAP - 3, WRAP + 3)), min_size=3,
                max_size=3))
def test_runs_report_the_same_gaps_and_move_cursors_the_same(drafts, batch_sizes, starts):
    notes = stream_of(drafts)
    alone, merged = start_cursors(starts), start_cursors(starts)
    assert in_runs(notes, merged, batch_sizes) == one_by_one(notes, alone)
    assert merged.snapshot() == alone.snapshot()
    assert verdicts(merged, notes) == verdicts(alone, notes)


def test_a_storm_of_consecutive_notifications_is_one_run():
    runs = []
    for number in range(41, 541):
        add_run(runs, run_of("os.a", str(number), [("/api/partitions/1", number + 1000)]))
    assert runs == [["os.a", 41, 540, [["/api/partitions/1", 1041, 1540]]]]


def test_a_gap_a_wrap_or_a_missing_number_starts_a_new_run():
    runs = []
    for header, seq in (("7", 10), ("8", 11), ("10", 12), (None, 13), ("11", 4294967295), ("12", 0)):
        add_run(runs, run_of("os.a", header, [("/p", seq)]))
    wrapped = [["/p", 4294967295, 4294967295], ["/p", 0, 0]]
    assert runs == [["os.a", 7, 8, [["/p", 10, 11]]], ["os.a", 10, 10, [["/p", 12, 12]]],
                    ["os.a", None, None, [["/p", 13, 13]]], ["os.a", 11, 12, wrapped]]
