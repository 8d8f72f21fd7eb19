"""Publishing OpenStack notifications for the tests with oslo.messaging's own Notifier (as nova does), and raw
messages with kombu for hostile input."""

import json
import uuid

import kombu
import oslo_messaging
from oslo_config import cfg


class Publisher:
    """One notification transport to the test broker; ``notifier(publisher_id, topic)`` as OpenStack makes it."""

    def __init__(self, url, exchange=None, durable=False):
        self.conf = cfg.ConfigOpts()
        self.conf(args=[], default_config_files=[], default_config_dirs=[])
        if exchange or durable:
            from oslo_messaging import opts

            for group, group_opts in opts.list_opts():
                self.conf.register_opts(group_opts, group=group)
        if exchange:  # the service's control_exchange, as nova.conf sets it
            self.conf.set_override("control_exchange", exchange)
        if durable:  # amqp_durable_queues, as a service configured for durable notifications sets it
            self.conf.set_override("amqp_durable_queues", True, group="oslo_messaging_rabbit")
        self.transport = oslo_messaging.get_notification_transport(self.conf, url=url)

    def notifier(self, publisher_id="compute.host1", topic="notifications"):
        return oslo_messaging.Notifier(self.transport, driver="messagingv2", publisher_id=publisher_id,
                                       topics=[topic])

    def close(self):
        self.transport.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def publish_numbered(url, numbers, durable=False):
    """compute.instance.update notifications from nova on compute.kvm1, payload n = each of numbers, in order."""
    with Publisher(url, durable=durable) as publisher:
        nova = publisher.notifier("compute.kvm1")
        for n in numbers:
            nova.info(request(f"req-{n}"), "compute.instance.update", {"instance_id": f"i-{n}", "n": n})


def numbers_of(events):
    """The payload numbers of the compute.instance.update events, in the order they fired."""
    return [int(e["payload.n"]) for e in events if e["type"] == "compute.instance.update"]


def versioned(name, data, namespace="nova", version="1.0"):
    """A versioned notification payload object (``nova_object.*``) as nova's versioned notifications carry."""
    return {f"{namespace}_object.name": name, f"{namespace}_object.namespace": namespace,
            f"{namespace}_object.version": version, f"{namespace}_object.data": data}


def instance_update(instance_id, name, old_state, state):
    """The versioned instance.update payload of an instance whose state changed."""
    return versioned("InstanceUpdatePayload", {
        "uuid": instance_id, "display_name": name, "host": "kvm1", "state": state,
        "state_update": versioned("InstanceStateUpdatePayload", {"old_state": old_state, "state": state,
                                                                 "old_task_state": None, "new_task_state": None}),
        "flavor": versioned("FlavorPayload", {"flavorid": "m1.small", "memory_mb": 2048}),
    }, version="1.9")


def publish_raw(broker, bodies, routing_key="notifications.info", exchange="openstack"):
    """Publish raw bodies (str or bytes) straight to the notification exchange, bypassing oslo.messaging."""
    from rabbitmq_broker import PASSWORD, USER, VHOST

    with kombu.Connection(hostname="127.0.0.1", port=broker.port, userid=USER, password=PASSWORD,
                          virtual_host=VHOST) as connection:
        producer = connection.Producer()
        target = kombu.Exchange(exchange, type="topic", durable=False)
        for body in bodies:
            binary = isinstance(body, bytes)
            producer.publish(body, exchange=target, routing_key=routing_key,
                             content_type="application/data" if binary else "application/json",
                             content_encoding="binary" if binary else "utf-8")


def envelope(message):
    """The messagingv2 envelope around a notification dict."""
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(message)})


def new_id():
    return str(uuid.uuid4())


def request(request_id, **fields):
    """A request context as services pass it (oslo.messaging drops plain dicts and redacts the token)."""
    from oslo_context import context

    return context.RequestContext(request_id=request_id, **fields)
