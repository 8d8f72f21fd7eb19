"""The console client against hmcsim over real sockets: parallel re-logon, a console that is restarting.

What the console saw (logons, sessions, channels) is read back from hmcsim's control API.
"""

from pathlib import Path

import yaml

from ansible_collections.zhmc.notifications.plugins.module_utils import subscriptions as subs
from ansible_collections.zhmc.notifications.plugins.module_utils.hmc_client import HmcClient

FIVE = [f"SYS{n}" for n in range(1, 6)]


def five_partitions(tmp_path):
    """A console with one DPM CPC and five running partitions."""
    scenario = {
        "console": {"name": "HMC1", "session_limit": 20},
        "users": [{"userid": "operator", "password": "operator-password", "permissions": ["*"]}],
        "cpcs": [{"name": "CPC1", "dpm": True,
                  "partitions": [{"name": name, "status": "active", "os_name": name} for name in FIVE]}],
    }
    path = Path(tmp_path) / "five.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return str(path)


def test_a_session_that_ends_while_channels_are_opened_in_parallel_is_renewed_once(hmcsim_factory, tmp_path):
    # Latency widens the window: every worker's first request carries the ended session.
    sim = hmcsim_factory(five_partitions(tmp_path), latency_ms=150)
    client = HmcClient([sim.hmc_host], userid="operator", password="operator-password", ca_certs=sim.ca_file)
    client.logon()
    cpc_uri = client.find_cpc("CPC1")["object-uri"]
    guests = client.select_guests("CPC1", names=FIVE)
    resources = [subs.make_resource(g, g["kind"], "CPC1", cpc_uri, True) for g in guests]
    assert sim.control.end_sessions()["ended"] == 1

    subs.open_channels(client, resources)

    assert sim.control.logons()["ok"] == 2, "one logon at start, one for the ended session"
    sessions = sim.control.sessions()
    assert [s["id"] for s in sessions] == [client.session_id], "no session left behind"
    channels = sim.control.channels()
    assert sorted(c["name"] for c in channels) == FIVE
    assert {c["session"] for c in channels} == {client.session_id}, "every channel in the session the client holds"
    assert all(r["topic"] for r in resources)
    assert client.logoff()
    assert sim.control.sessions() == []
