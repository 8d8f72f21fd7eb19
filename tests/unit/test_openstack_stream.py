"""The openstack source's pure parts around delivery: source-side filters, feedback matching, the log record
factory that masks the transport URL's passwords (also in oslo.messaging's, kombu's and amqp's records), the
oslo.messaging records about dropped messages, and the clear error when oslo.messaging is missing."""

import asyncio
import logging
import subprocess
import sys

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils import (
    openstack_listener,
    openstack_logging,
    openstack_options,
)
from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_normalizer as os_normalizer
from ansible_collections.zhmc.notifications.plugins.module_utils.openstack_stream import (
    OpenStackStream,
    StreamFailed,
    accept,
)

CONSOLE = {"host": "h:5672", "type": "openstack"}


def event(event_type="compute.instance.update", publisher="nova-compute:kvm1", priority="info"):
    return os_normalizer.normalize({}, publisher, event_type, {}, {}, priority, console=CONSOLE)


def test_filters():
    filters = {"event_types": ["compute.instance.*", "volume.*.error"], "publisher_ids": ["nova-*"],
               "priorities": ["info", "error"]}
    assert accept(filters, event())
    assert not accept(filters, event("image.update"))
    assert accept(filters, event("volume.attach.error"))
    assert not accept(filters, event(publisher="cinder-volume:x"))
    assert not accept(filters, event(priority="warn"))
    lost = os_normalizer.synthetic("connection-lost", console=CONSOLE, reason="x")
    assert accept(filters, lost), "the source's own events always pass"
    assert accept({"event_types": None, "publisher_ids": None, "priorities": None}, event("anything"))


class FakeBroker:
    def __init__(self, *args, **kwargs):
        pass


def stream_with_feedback(feedback, timeout=5):
    options = openstack_options.parse({"transport_url": "rabbit://u:p@h:5672/", "feedback": True,
                                       "eda_feedback_queue": feedback, "feedback_timeout": timeout}, environ={})
    put = []

    async def emit(item):
        put.append(item)

    stream = OpenStackStream(options, emit, broker_factory=FakeBroker)
    return stream, put


def test_delivery_waits_for_the_feedback_on_its_own_event():
    async def scenario():
        feedback = asyncio.Queue(1)
        stream, put = stream_with_feedback(feedback)
        stream._order = asyncio.Lock()
        stream._failed = asyncio.get_running_loop().create_future()
        item = event()
        delivery = asyncio.ensure_future(stream._deliver(item))
        await asyncio.sleep(0.05)
        assert put == [item] and not delivery.done(), "put, then waiting for the engine"
        await feedback.put({"meta": {"uuid": "some-other-event"}})
        await asyncio.sleep(0.05)
        assert not delivery.done(), "feedback for another event does not count"
        await feedback.put({"openstack": {}, "meta": {"uuid": item["meta"]["uuid"], "source": {"name": "x"}}})
        await asyncio.wait_for(delivery, 5)

    asyncio.run(scenario())


def test_missing_feedback_fails_the_stream():
    async def scenario():
        stream, _put = stream_with_feedback(asyncio.Queue(1), timeout=0.1)
        stream._order = asyncio.Lock()
        stream._failed = asyncio.get_running_loop().create_future()
        with pytest.raises(StreamFailed, match="no feedback from the rules engine"):
            await stream._deliver(event())
        assert isinstance(stream._failed.exception(), StreamFailed)

    asyncio.run(scenario())


def test_log_records_of_any_logger_are_masked(caplog):
    openstack_logging.protect(["p@ss:w/rd"])
    caplog.set_level(logging.DEBUG)
    for name in ("oslo.messaging._drivers.impl_rabbit", "kombu.connection", "amqp", "some.other"):
        logging.getLogger(name).info("url amqp://u:%s@h and %s", "p@ss:w/rd", "p%40ss%3Aw%2Frd")
    try:
        raise RuntimeError("failed with p@ss:w/rd inside")
    except RuntimeError:
        logging.getLogger("kombu").exception("boom")
    text = caplog.text + "".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "p@ss:w/rd" not in text and "p%40ss%3Aw%2Frd" not in text
    assert text.count(openstack_logging.MASK) >= 9
    assert "failed with ******** inside" in text


def test_dropped_message_records_reach_the_listener_that_had_them():
    got = []

    class Fake:
        threads = set()

        def on_dropped(self, error):
            got.append(error)

    fake = Fake()
    openstack_listener._ACTIVE.append(fake)
    try:
        handler = openstack_listener.DroppedMessages()
        rabbit = logging.getLogger("oslo.messaging._drivers.impl_rabbit")
        record = rabbit.makeRecord(rabbit.name, logging.ERROR, __file__, 1,
                                   "Failed to process message ... skipping it.", (), None)
        record.exc_text = "Traceback (most recent call last):\n  ...\nValueError: Expecting value"
        handler.handle(record)
        dispatcher = logging.getLogger("oslo_messaging.notify.dispatcher")
        handler.handle(dispatcher.makeRecord(dispatcher.name, logging.WARNING, __file__, 1,
                                             'Unknown priority "%s"', ("bogus",), None))
        handler.handle(dispatcher.makeRecord(dispatcher.name, logging.WARNING, __file__, 1, "unrelated", (), None))
    finally:
        openstack_listener._ACTIVE.remove(fake)
    assert got == ["oslo.messaging dropped a message it could not read: ValueError: Expecting value",
                   'oslo.messaging dropped a message it could not read: Unknown priority "bogus"']


def test_missing_oslo_messaging_is_named_with_how_to_install_it():
    code = ("import sys; sys.modules['oslo_messaging'] = None\n"
            "from ansible_collections.zhmc.notifications.plugins.module_utils import openstack_listener as l\n"
            "try:\n    l.load()\nexcept l.MissingDependency as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": ":".join(sys.path)}, check=False)
    assert "needs the Python package oslo.messaging" in result.stdout, result.stderr
    assert "requirements-openstack.txt" in result.stdout


@pytest.mark.parametrize(("version", "refused"), [
    ("14.0.0", True), ("18.1.0", True), ("18.2.0", False), ("18.3.1", False), ("19.0", False), ("dev", False),
])
def test_an_oslo_messaging_that_does_not_check_host_names_is_refused(version, refused):
    problem = openstack_listener.version_problem(version)
    assert bool(problem) is refused
    if refused:
        assert f"oslo.messaging {version} is installed, 18.2 or later is required" in problem


def test_the_hmc_source_and_modules_do_not_import_oslo_messaging():
    code = ("import sys, runpy\n"
            "import ansible_collections.zhmc.notifications.plugins.module_utils.event_pipeline\n"
            "import ansible_collections.zhmc.notifications.plugins.module_utils.module_base\n"
            "print(sorted(m for m in sys.modules if m.startswith(('oslo', 'kombu'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": ":".join(sys.path)}, check=False)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
