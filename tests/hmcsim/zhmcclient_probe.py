"""Run under the zhmcclient venv: drives hmcsim with the reference client and prints what it saw as JSON.

Usage: python zhmcclient_probe.py '<json: host, ws_port, stomp_port, ca_file, control>'
"""

import itertools
import json
import sys
import threading
import time
import urllib.request

import zhmcclient


def control(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def subscribed(base, topics, timeout=60):
    """Until hmcsim shows a STOMP connection subscribed to all topics: zhmcclient subscribes without a receipt,
    so a notification made earlier would not reach it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/stomp", timeout=10) as response:
            connections = json.loads(response.read())
        if any(set(topics) <= {s["destination"].removeprefix("/topic/") for s in c["subscriptions"]}
               for c in connections):
            return
        time.sleep(0.1)
    raise SystemExit(f"zhmcclient did not subscribe to {topics} within {timeout}s")


def notifications(receiver, attempts=3):
    """receiver.notifications(), connecting again when the connect fails, with the attempts it took.

    stomp.py 8.x (which zhmcclient pins) writes CONNECT from the caller's thread while its receiver thread reads
    the same TLS socket; when the read meets a TLS 1.3 session ticket the two threads race inside one OpenSSL
    object and the connect times out (about 1 in 30 on a loaded machine; stomp.py 9 moved TLS to one I/O thread).
    That is the reference client's bug, not a fault of hmcsim, so the probe retries it and reports the count.
    """
    for attempt in itertools.count(1):
        stream = receiver.notifications()
        try:
            return attempt, itertools.chain([next(stream)], stream)
        except zhmcclient.NotificationConnectionError:
            if attempt == attempts:
                raise


def main():
    sim = json.loads(sys.argv[1])
    session = zhmcclient.Session(sim["host"], "operator", "operator-password", port=sim["ws_port"],
                                 verify_cert=sim["ca_file"])
    client = zhmcclient.Client(session)
    result = {"api_version": client.query_api_version()["api-major-version"]}
    cpcs = client.cpcs.list()
    result["cpcs"] = sorted(c.name for c in cpcs)
    cpc1 = client.cpcs.find(name="CPC1")
    result["partitions"] = sorted(p.name for p in cpc1.partitions.list())
    partition = cpc1.partitions.find(name="PART1")
    os_topic = partition.open_os_message_channel(include_refresh_messages=True)
    result["os_topic"] = os_topic
    result["topics"] = session.get_notification_topics()
    job_topic = session.job_topic
    receiver = zhmcclient.NotificationReceiver([os_topic, job_topic], sim["host"], "operator",
                                               "operator-password", port=sim["stomp_port"],
                                               verify_cert=sim["ca_file"],
                                               stomp_rt_config=zhmcclient.StompRetryTimeoutConfig(connect_timeout=10))

    def trigger():
        subscribed(sim["control"], [os_topic, job_topic])
        control(sim["control"], "/os-message", {"resource": "PART1", "text": "Hello from hmcsim"})
        control(sim["control"], "/step", {"kind": "job_completion", "resource": "PART1", "session": session.session_id})

    threading.Thread(target=trigger, daemon=True).start()
    received = []
    result["connect_attempts"], stream = notifications(receiver)
    for headers, message in stream:
        received.append({"headers": dict(headers), "message": message})
        if len(received) == 2:
            break
    receiver.close()
    result["received"] = received
    session.logoff()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
