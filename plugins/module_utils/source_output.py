# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EDA source's output side: the rulebook's queue, the engine's feedback and the checkpoint file.

The stream hands every event to put(); this module tracks which of them the rules engine surely has (see
engine_receipts.py), reads ansible-rulebook's feedback queue when the rulebook asked for feedback, and keeps the
checkpoint file up to date: at most once per CHECKPOINT_INTERVAL while events flow, and once more when the
source stops. At start, load() puts the checkpoint's cursors into the stream's cursors, so that the stream's
recovery after its first connect resumes where the last run stopped.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010

__metaclass__ = type  # noqa: UP001

import asyncio
import logging

from ansible_collections.zhmc.notifications.plugins.module_utils.checkpoint import (
    CheckpointError,
    CheckpointFile,
    RateLimitedWriter,
    identity,
)
from ansible_collections.zhmc.notifications.plugins.module_utils.engine_receipts import (
    DeliveryTracker,
    consume_feedback,
)

LOG = logging.getLogger("zhmc.notifications.source")

CHECKPOINT_INTERVAL = 1.0
"""Seconds between checkpoint writes while the cursors move (each write costs two fsyncs)."""


class SourceOutput:
    """queue.put with delivery tracking; options are the parsed source options (checkpoint, feedback,
    feedback_timeout, connection, subscriptions); cursors are the stream's RecoveryCursors."""

    def __init__(self, queue, options, cursors, feedback_queue=None):
        self._queue = queue
        self._cursors = cursors
        # Read whenever ansible-rulebook gives one (it may for a 'feedback' value this source reads as false):
        # the engine waits on it after every event.
        self._feedback_queue = feedback_queue
        if options["feedback"] and feedback_queue is None:
            raise ValueError("zhmc.notifications.hmc: option 'feedback' is true but ansible-rulebook passed no "
                             "feedback queue: feedback needs ansible-rulebook 1.3 or later, run with "
                             "--persistence-id")
        self.tracker = DeliveryTracker(cursors.last, feedback=options["feedback"],
                                       timeout=options["feedback_timeout"])
        self.store = None
        self._writer = None
        self._announced = set()
        if options["checkpoint"]:
            self.store = CheckpointFile(options["checkpoint"], identity(
                options["connection"]["hosts"], options["subscriptions"]["os_messages"]))
            self._writer = RateLimitedWriter(self.store, self.snapshot, CHECKPOINT_INTERVAL)
        elif options["feedback"]:
            LOG.warning("feedback without a checkpoint: acknowledgements are read but nothing keeps them")

    def load(self):
        """Restore the cursors from the checkpoint; False for a fresh start. CheckpointError names a bad file."""
        if self.store is None:
            return False
        try:
            snapshot = self.store.load()
        except CheckpointError as err:
            raise CheckpointError(f"zhmc.notifications.hmc: {err}") from None
        if snapshot is None:
            LOG.info("no checkpoint at %s yet: starting from the console's newest OS messages", self.store.path)
            return False
        try:
            self._cursors.restore(snapshot)
        except ValueError as err:
            raise CheckpointError(f"zhmc.notifications.hmc: checkpoint {self.store.path} is corrupt: {err}") from None
        self._writer.mark_written(snapshot)
        LOG.info("resuming from checkpoint %s (%d partitions/LPARs)", self.store.path,
                 len(snapshot.get("cursors") or {}))
        return True

    async def put(self, event):
        token = self.tracker.before_put(event)
        if token.uri is not None and self._writer is not None and token.uri not in self._announced \
                and not self._writer.knows(token.uri):
            # The first event of a resource the file does not know yet: write its cursor first, or a restart
            # would start that resource afresh from the console's newest message and skip what came between.
            # Once per resource: one the stream could not seed appears in the file only after this event.
            self._announced.add(token.uri)
            await self.write_now()
        await self._queue.put(event)
        self.tracker.after_put(token)

    async def write_now(self):
        """Bring the file up to date at once (the stream covered new partitions/LPARs)."""
        if self._writer is None:
            return
        snapshot = self._writer.take(force=True)
        if snapshot is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._writer.write, snapshot)

    async def on_subscribed(self, _stream):
        """The stream's first subscriptions are in effect: keep the cursors it seeded before recovery starts."""
        await self.write_now()

    def snapshot(self):
        """The cursors a checkpoint may claim now."""
        return self.tracker.held_back(self._cursors.snapshot())

    async def run(self):
        """Read feedback and write the checkpoint until cancelled."""
        tasks = []
        if self._feedback_queue is not None:
            tasks.append(asyncio.ensure_future(consume_feedback(self._feedback_queue, self.tracker)))
        if self._writer is not None:
            tasks.append(asyncio.ensure_future(self._write_periodically()))
        if not tasks:
            return
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _write_periodically(self):
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECKPOINT_INTERVAL)
            snapshot = self._writer.take()
            if snapshot is None:
                continue
            try:
                await loop.run_in_executor(None, self._writer.write, snapshot)
            except OSError as err:
                # The next write may work (a full disk freed); the events go on meanwhile.
                LOG.error("cannot write checkpoint %s: %s", self.store.path, err)

    def close(self):
        """The final write when the source stops (blocking, a few milliseconds)."""
        if self._writer is None:
            return
        try:
            self._writer.flush(force=True)
        except OSError as err:
            LOG.error("cannot write checkpoint %s: %s", self.store.path, err)
