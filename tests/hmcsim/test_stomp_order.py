"""Concurrent deliveries to a slow connection keep session-sequence-nr in order, as a broker does."""

import asyncio

from hmcsim.stomp_frames import FrameParser
from hmcsim.stomp_server import StompConnection, StompServer


class _Writer:
    def get_extra_info(self, _name):
        return ("127.0.0.1", 1)


def test_deliveries_waiting_on_a_full_queue_are_not_overtaken():
    async def scenario():
        server = StompServer(console=None, queue_size=1, slow_consumer_seconds=30)
        conn = StompConnection(server, reader=None, writer=_Writer(), number=1)
        conn.subscriptions["s1"] = "os-topic"
        server.connections[1] = conn
        drained = []

        async def slow_reader():
            # Like the writer loop: it takes what is queued whenever it runs, so a slot frees up while a
            # delivery that found the queue full has not started waiting yet.
            while len(drained) < 60:
                await asyncio.sleep(0)
                while not conn.queue.empty():
                    drained.append(conn.queue.get_nowait())

        reader = asyncio.ensure_future(slow_reader())

        async def producer(name):
            for i in range(12):
                await server.deliver("os-topic", {}, f"{name}-{i}")
                await asyncio.sleep(0)

        # Several producers at once, as the console's notifiers are: some find the queue full and wait.
        await asyncio.gather(*(producer(name) for name in range(5)))
        await asyncio.wait_for(reader, 30)
        return drained

    frames = [frame for data in asyncio.run(scenario()) for frame in FrameParser().feed(data) if frame]
    numbers = [int(frame.headers["session-sequence-nr"]) for frame in frames]
    assert numbers == sorted(numbers) and len(numbers) == 60
