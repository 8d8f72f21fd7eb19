"""Names in subscriptions as a user gives them, against hmcsim: an exact name that matches nothing is an error
naming it (source and wait_for_notification alike, as os_message_channel), and a name regex is the console's
(Java syntax) whose selection is taken as it is."""

import asyncio
import time

import module_play
import pytest
from test_source_helpers import load_source, source_args


def wait(**args):
    return {"zhmc.notifications.wait_for_notification": {
        "hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}", "stomp_port": "{{ stomp_port }}", **args}}


def channel(**args):
    return {"zhmc.notifications.os_message_channel": {
        "hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}", "cpc_name": "CPC1", **args}}


MISSPELLED = {"os_messages": [{"cpc": "CPC1", "partitions": ["PART1", "PRAT2"]}]}
MISSING = "subscriptions.os_messages[0].partitions: no partition named 'PRAT2' on cpc 'CPC1' (or no permission)"


def test_a_misspelled_name_fails_the_source_at_start(hmcsim):
    main = load_source()["main"]

    async def start():
        await asyncio.wait_for(main(asyncio.Queue(), source_args(hmcsim, MISSPELLED)), timeout=120)

    with pytest.raises(Exception) as caught:
        asyncio.run(start())
    assert str(caught.value) == MISSING
    assert hmcsim.control.sessions() == [], "the source logged off"


def test_a_misspelled_name_fails_wait_for_notification(hmcsim, tmp_path):
    results, _output = module_play.run(hmcsim, tmp_path, {
        "misspelled": wait(subscriptions=MISSPELLED, timeout=60),
        "lenient": wait(subscriptions=MISSPELLED, timeout=60, fail_on_timeout=False),
        "channel": channel(names=["PART1", "PRAT2"]),
    })
    assert results["misspelled"]["failed"] is True and results["misspelled"]["msg"] == MISSING
    assert results["lenient"]["failed"] is True and results["lenient"]["msg"] == MISSING
    assert "no partition named 'PRAT2' on cpc 'CPC1'" in results["channel"]["msg"], "the same rule everywhere"
    assert hmcsim.control.sessions() == []


@pytest.mark.parametrize(("pattern", "selected"), [
    (r"PART\p{Digit}", ["PART1", "PART2", "PART3"]),   # valid Java, refused by Python's re
    (r"\QPART\E[12]", ["PART1", "PART2"]),             # valid Java, Python reads \Q as an error
    ("PART[0-9&&[^3]]", ["PART1", "PART2"]),           # Python reads it as another class and dropped all
])
def test_java_name_regexes_select_what_the_console_selects(hmcsim, tmp_path, pattern, selected):
    results, _output = module_play.run(hmcsim, tmp_path, {"channels": channel(name_regex=pattern)})
    assert not results["channels"].get("failed"), results["channels"]
    assert [c["name"] for c in results["channels"]["channels"]] == selected


def test_the_source_subscribes_what_the_console_selects(hmcsim, tmp_path):
    """The subscription's second filter with Python's re dropped every partition of PART[0-9&&[^3]]."""
    subscriptions = {"os_messages": [{"cpc": "CPC1", "partition_regex": "PART[0-9&&[^3]]"}]}
    process, out = module_play.start(hmcsim, tmp_path, {
        "held": wait(subscriptions=subscriptions, conditions={"message_codes": ["IEF238D"]}, timeout=240)})
    try:
        deadline = time.monotonic() + 180
        while not any(c.get("subscriptions") for c in hmcsim.control.stomp_connections()):
            assert time.monotonic() < deadline and process.poll() is None, process.communicate()[0]
            time.sleep(0.1)
        assert sorted(c["name"] for c in hmcsim.control.channels()) == ["PART1", "PART2"]
        hmcsim.control.os_message("PART2", "IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.")
        results, _output = module_play.finish(process, out)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    [event] = results["held"]["events"]
    assert event["hmc"]["resource"]["name"] == "PART2"


def test_a_pattern_the_console_refuses_is_an_error_naming_it(hmcsim, tmp_path):
    results, _output = module_play.run(hmcsim, tmp_path, {
        "unbalanced": channel(name_regex="PART("),
        "python_only": channel(name_regex="(?P<n>PART1)"),
        "subscription": wait(subscriptions={"os_messages": [{"cpc": "CPC1", "partition_regex": "(?P<n>PART1)"}]},
                             timeout=60),
    })
    assert results["unbalanced"]["msg"].startswith(
        "name_regex: the console refused the regular expression 'PART(': The name filter 'PART(' is not a valid")
    assert results["python_only"]["msg"].startswith("name_regex: the console refused the regular expression")
    assert results["subscription"]["msg"].startswith(
        "subscriptions.os_messages[0].partition_regex: the console refused the regular expression '(?P<n>PART1)'")
    assert hmcsim.control.sessions() == []
