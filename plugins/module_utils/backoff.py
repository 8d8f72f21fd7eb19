# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconnect timing: exponential backoff with jitter and a budget per outage.

Kept pure (the random source is injectable) so the policy is unit tested
without sleeping. A new Backoff is made for every outage, which gives each
outage a fresh budget: a long-running source that survived ten short outages
does not give up on the eleventh.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import random


class BudgetExhausted(Exception):
    """All attempts allowed for one outage have failed."""


class Backoff:
    """Delays before reconnect attempts: initial * 2**n, capped, with +-25% jitter.

    max_attempts 0 means unlimited. Jitter spreads the reconnects of many
    sources after a console restart so they do not all hit it at once.
    """

    JITTER = 0.25

    def __init__(self, initial_delay=1.0, max_delay=60.0, max_attempts=0, rand=random.random):
        self.initial_delay = float(initial_delay)
        self.max_delay = float(max_delay)
        self.max_attempts = int(max_attempts)
        self._rand = rand
        self.attempts = 0

    def next_delay(self):
        """Seconds to wait before the next attempt; raises BudgetExhausted when none is left."""
        if self.max_attempts and self.attempts >= self.max_attempts:
            raise BudgetExhausted(f"gave up after {self.attempts} reconnect attempts")
        base = min(self.max_delay, self.initial_delay * (2 ** min(self.attempts, 32)))
        self.attempts += 1
        jitter = 1.0 + self.JITTER * (2 * self._rand() - 1)
        return max(0.0, min(self.max_delay, base * jitter))
