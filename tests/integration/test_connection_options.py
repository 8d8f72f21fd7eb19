"""Connection options as a user meets them, ansible-playbook and the source against hmcsim over TLS:
riding out a console restart (hmc_timeouts), one CA store for the WS API and the broker, and the hmc_auth
that ibm.ibm_zhmc's zhmc_session returns (a session id without credential)."""

import time

import pytest
from module_play import play_tasks
from test_source_helpers import RunningSource, run, source_args, until_subscribed

from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient


def playbook(tmp_path, tasks, environ=None, name="play"):
    """Run the tasks with ansible-playbook; returns (rc, output). ZHMC_* of the test's environment are left out."""
    return play_tasks(tmp_path / f"{name}.yml", tasks, environ, leave_out=("ZHMC_", "SSL_CERT_", "REQUESTS_CA"))


def test_a_module_rides_out_a_console_restart(hmcsim, tmp_path):
    auth = {"userid": "operator", "password": "operator-password", "ca_certs": hmcsim.ca_file}
    tasks = [{"zhmc.notifications.resource_info": {"hmc_host": hmcsim.hmc_host, "hmc_auth": auth,
                                                   "cpc_name": "CPC1", "name": "PART1"}, "register": "info"},
             {"ansible.builtin.assert": {"that": ["info.status == 'active'"]}}]
    hmcsim.control.restart_console(down_seconds=15)  # WS API answers 503.1 until then
    started = time.monotonic()
    rc, output = playbook(tmp_path, tasks)
    assert rc == 0, output
    assert hmcsim.control.logons()["ok"] == 1
    assert hmcsim.control.sessions() == []
    assert time.monotonic() - started >= 10, "the module waited for the console (ansible-playbook starts in less)"


def test_a_short_retry_period_fails_with_the_console_answer(hmcsim, tmp_path):
    auth = {"userid": "operator", "password": "operator-password", "ca_certs": hmcsim.ca_file}
    short = {"retry_period": 0, "retries": 1, "retry_delay": 0.2}
    tasks = [{"zhmc.notifications.notification_topics_info": {
        "hmc_host": hmcsim.hmc_host, "hmc_auth": auth, "hmc_timeouts": short}}]
    hmcsim.control.restart_console(down_seconds=60)
    rc, output = playbook(tmp_path, tasks)
    assert rc != 0
    assert "HTTP 503 reason 1" in output and "restarting" in output


def test_without_ca_certs_the_ws_api_and_the_broker_trust_the_same_system_store(hmcsim, tmp_path, monkeypatch):
    # The console's CA stands in for the system store (SSL_CERT_FILE is how OpenSSL lets one replace it).
    auth = {"userid": "operator", "password": "operator-password"}
    wait = {"zhmc.notifications.wait_for_notification": {
        "hmc_host": hmcsim.hmc_host, "hmc_auth": auth, "stomp_port": hmcsim.stomp_port,
        "subscriptions": {"jobs": True}, "timeout": 2, "fail_on_timeout": False}, "register": "waited"}
    rc, output = playbook(tmp_path, [wait], environ={"SSL_CERT_FILE": hmcsim.ca_file})
    assert rc == 0, output
    rc, output = playbook(tmp_path, [wait], name="untrusted")
    assert rc != 0 and "TLS certificate verification failed" in output and "hmc_auth.ca_certs" in output

    monkeypatch.setenv("SSL_CERT_FILE", hmcsim.ca_file)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    args = source_args(hmcsim, {"jobs": True})
    del args["hmc_auth"]["ca_certs"]

    async def scenario():
        async with RunningSource(args):
            await until_subscribed(hmcsim, 1, timeout=30)

    run(scenario())
    assert hmcsim.control.sessions() == []


def test_the_hmc_auth_of_ibm_zhmc_works_with_every_module_and_the_source(hmcsim, tmp_path):
    client = HmcClient([hmcsim.hmc_host], userid="operator", password="operator-password", ca_certs=hmcsim.ca_file)
    client.logon()
    # As ibm.ibm_zhmc.zhmc_session returns it: no session credential, no userid/password.
    ibm_auth = {"session_id": client.session_id, "verify": True, "ca_certs": hmcsim.ca_file}
    conn = {"hmc_host": hmcsim.hmc_host, "hmc_auth": "{{ ibm_session.hmc_auth }}"}
    wait = {"zhmc.notifications.wait_for_notification": {
        **conn, "stomp_port": hmcsim.stomp_port, "subscriptions": {"jobs": True}, "timeout": 2,
        "fail_on_timeout": False}}
    tasks = [
        {"ansible.builtin.set_fact": {"ibm_session": {"hmc_auth": ibm_auth}}, "no_log": True},
        {"zhmc.notifications.notification_topics_info": conn},
        {"zhmc.notifications.resource_info": {**conn, "cpc_name": "CPC1", "name": "PART1"}},
        {"zhmc.notifications.os_message_channel": {**conn, "cpc_name": "CPC1", "names": ["PART1"]}},
        {"zhmc.notifications.os_command": {**conn, "cpc_name": "CPC2", "name": "LP01", "command": "D T"}},
        {"zhmc.notifications.resource_action": {**conn, "action": "start", "cpc_name": "CPC1", "name": "PART3"}},
        {**wait, "register": "refused", "ignore_errors": True},
        {"ansible.builtin.assert": {"that": [
            "refused is failed", "'ibm.ibm_zhmc.zhmc_session' in refused.msg",
            "'hmc_auth.userid and hmc_auth.password' in refused.msg"]}},
        {**wait, "environment": {"ZHMC_USERID": "operator", "ZHMC_PASSWORD": "operator-password"}},
    ]
    rc, output = playbook(tmp_path, tasks)
    assert rc == 0, output
    assert [s["id"] for s in hmcsim.control.sessions()] == [client.session_id], "the given session is kept"
    assert [c["session"] for c in hmcsim.control.channels()] == [client.session_id]
    assert hmcsim.control.logons()["ok"] == 1, "no module logged on: all used the given session"

    load_args = {"hmc_host": hmcsim.hmc_host, "hmc_auth": ibm_auth, "stomp_port": hmcsim.stomp_port,
                 "subscriptions": {"jobs": True}}

    async def refused():
        async with RunningSource(load_args) as source:
            await source.next(timeout=30)

    with pytest.raises(ValueError, match=r"ibm\.ibm_zhmc\.zhmc_session") as info:
        run(refused())
    assert "hmc_auth.userid and hmc_auth.password" in str(info.value)

    async def with_password():
        auth = dict(ibm_auth, userid="operator", password="operator-password")
        async with RunningSource(dict(load_args, hmc_auth=auth)):
            await until_subscribed(hmcsim, 1, timeout=30)

    run(with_password())
    assert [s["id"] for s in hmcsim.control.sessions()] == [client.session_id], "the source left it alone"
    client.logoff()
