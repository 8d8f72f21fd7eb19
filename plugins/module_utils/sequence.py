# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wrap-aware comparison of console sequence numbers.

OS message sequence numbers (and, in principle, the notification sequence numbers) wrap around, so "newer"
cannot be a plain ``>``: right after a wrap the newest message has the smallest number. The console does not
document its modulus. Serial number arithmetic (RFC 1982) modulo 2**32 is the default because it gives the
right answer for both 32-bit wrap styles a Java console can have: unsigned (4294967295 -> 0) and signed
(2147483647 -> -2147483648), since both are one step modulo 2**32. Two numbers more than half the modulus apart
cannot be ordered; such gaps do not happen between messages a receiver sees within one outage.
"""

DEFAULT_MODULUS = 2**32


def seq_delta(new, old, modulus=DEFAULT_MODULUS):
    """Signed number of steps from ``old`` to ``new``, in ``[-modulus/2, modulus/2)``.

    ``seq_delta(5, 3) == 2``; across a wrap ``seq_delta(0, 2**32 - 1) == 1``. A delta of 1 means "next", so a
    receiver that expected ``old + 1`` and got ``new`` missed ``seq_delta(new, old) - 1`` numbers.
    """
    half = modulus // 2
    return (new - old + half) % modulus - half


def seq_newer(a, b, modulus=DEFAULT_MODULUS):
    """True when ``a`` comes after ``b`` in wrap-around order (never for equal numbers)."""
    return seq_delta(a, b, modulus) > 0
