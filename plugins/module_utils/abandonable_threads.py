# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An executor whose calls can be left behind, so that a deadline bounds a whole module run.

A blocking call to a console or broker that accepts the connection but never answers holds its thread until
a socket timeout (30 s and more with retries). asyncio.run and the interpreter's exit wait for the threads of
a ThreadPoolExecutor, so a module could not end at its deadline. Here each call runs in its own daemon thread
and shutdown does not wait: what is still blocked when the module is done is abandoned with the process.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import concurrent.futures
import threading


class AbandonableThreads(concurrent.futures.ThreadPoolExecutor):
    """A ThreadPoolExecutor (what asyncio accepts as default executor) whose calls run in daemon threads."""

    def submit(self, fn, *args, **kwargs):
        future = concurrent.futures.Future()

        def run():
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever awaits the future
                future.set_exception(exc)

        threading.Thread(target=run, name="zhmc-call", daemon=True).start()
        return future

    def shutdown(self, wait=True, **kwargs):
        """Do not wait: a call still running belongs to a console or broker that did not answer in time."""
