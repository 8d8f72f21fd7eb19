"""Wrap-aware sequence number comparison (used to de-duplicate and to count missed notifications)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils.sequence import seq_delta, seq_newer

WRAP = 2**32


@pytest.mark.parametrize(
    ("new", "old", "delta"),
    [(5, 3, 2), (3, 5, -2), (7, 7, 0), (0, WRAP - 1, 1), (WRAP - 1, 0, -1), (2, WRAP - 3, 5),
     (-(2**31), 2**31 - 1, 1)],  # signed 32-bit wrap
)
def test_delta(new, old, delta):
    assert seq_delta(new, old) == delta
    assert seq_newer(new, old) is (delta > 0)


def test_other_modulus():
    assert seq_delta(0, 99, modulus=100) == 1
    assert seq_newer(0, 99, modulus=100)
    assert not seq_newer(99, 0, modulus=100)


@given(st.integers(0, WRAP - 1), st.integers(1, 2**31 - 1))
def test_any_step_forward_is_newer_across_the_wrap(start, step):
    later = (start + step) % WRAP
    assert seq_newer(later, start)
    assert not seq_newer(start, later)
    assert seq_delta(later, start) == step
