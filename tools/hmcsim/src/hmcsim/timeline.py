"""Runs scenario steps: the timeline at its times, follow-ups of replies, and the same steps from the control API."""

import asyncio
import logging
import time

from hmcsim.zos_text import messages_for

LOG = logging.getLogger("hmcsim.timeline")


class StepRunner:
    """Executes one step dict (kind + fields, as validated by hmcsim.scenario) against the simulator.

    The scenario's timeline runs once: at start, or, when held (--hold-timeline), when start_timeline() is
    called (POST /timeline/start); step times count from that moment. stop_timeline() ends it early (steps
    already started, such as a storm, run on).
    """

    def __init__(self, sim):
        self.sim = sim
        self._tasks: set = set()
        self.timeline: list[dict] = []
        self.timeline_started: float | None = None
        self.timeline_done = 0
        self._timeline_stopped = False

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def start_timeline(self) -> bool:
        """Start the scenario's timeline now; False when it was started (or stopped) before: it runs once."""
        if self.timeline_started is not None or self._timeline_stopped:
            return False
        self.timeline_started = time.monotonic()
        self.spawn(self.run_timeline(self.timeline))
        return True

    def stop_timeline(self) -> bool:
        """Run no further step of the timeline (also when it is still held); False when it had ended already."""
        if self._timeline_stopped or self.timeline_done >= len(self.timeline):
            return False
        self._timeline_stopped = True  # a step in progress completes; run_timeline starts no further one
        return True

    def timeline_state(self) -> dict:
        """held (not started) | running | done | stopped, with the steps run so far and the time of the last one."""
        steps = len(self.timeline)
        elapsed = None if self.timeline_started is None else round(time.monotonic() - self.timeline_started, 3)
        if self.timeline_done >= steps and self.timeline_started is not None:
            state = "done"
        elif self._timeline_stopped:
            state = "stopped"
        else:
            state = "held" if self.timeline_started is None else "running"
        return {"state": state, "steps": steps, "done": self.timeline_done,
                "last_at": self.timeline[-1]["at"] if self.timeline else 0, "elapsed": elapsed}

    async def run_timeline(self, steps: list[dict]) -> None:
        start = time.monotonic()
        for step in steps:
            delay = step["at"] - (time.monotonic() - start)
            if delay > 0:
                await asyncio.sleep(delay)
            if self._timeline_stopped:
                return
            await self.safe_run(step)
            self.timeline_done += 1

    async def follow_up(self, rule: dict, resource) -> None:
        await asyncio.sleep(rule.get("after", 0))
        await self.safe_run(rule, default_resource=resource)

    async def safe_run(self, step: dict, default_resource=None) -> None:
        try:
            await self.run(step, default_resource)
        except (KeyError, ValueError) as exc:
            LOG.error("step %s (line %s) failed: %s", step["kind"], step.get("line"), exc)

    async def run(self, step: dict, default_resource=None) -> dict:
        """Run one step now and return a small result for the control API."""
        sim = self.sim
        kind = step["kind"]
        resource = sim.console.find(step["resource"]) if step.get("resource") else default_resource
        if kind == "os_message":
            message = await sim.os_messages.emit(
                resource, step["text"], held=step.get("held", False), priority=step.get("priority", False),
                reply_id=step.get("reply_id"), prompt=step.get("prompt", ""), on_reply=step.get("on_reply"))
            return {"sequence-number": message["sequence-number"]}
        if kind == "storm":
            self.spawn(self.storm(resource, step["rate"], step["duration"]))
            return {"started": True}
        if kind == "split_os_message":
            message = sim.os_messages.make(resource, step["text"])
            await sim.bcpii.split_os_message(resource, message, step.get("chunk", 100))
            return {"sequence-number": message["sequence-number"]}
        if kind == "status_change":
            await sim.actions.set_status(resource, step["status"])
        elif kind == "property_change":
            await sim.actions.set_properties(resource, dict(step["properties"]))
        elif kind == "inventory":
            if step["action"] == "add":
                added = await sim.actions.add_guest(sim.console.find(step["cpc"]), step["name"], step.get("status"),
                                                    step.get("os_name"))
                return {"object-uri": added.uri}
            await sim.actions.remove(resource)
        elif kind == "log_entry":
            await sim.actions.log_entry(step["log"], step["event_name"], step.get("event_id", ""),
                                        step.get("message", ""), step.get("userid", "operator"))
        elif kind == "job_completion":
            session = sim.console.sessions.get(step.get("session"))
            if session is None:
                raise KeyError(f"job_completion needs the id of a live session (the one that started the job), "
                               f"got {step.get('session')!r}")
            return {"job-uri": await sim.jobs.completed(session, resource, step.get("operation", "start"),
                                                        step.get("status_code", 200))}
        elif kind == "capacity_record_change":
            await sim.actions.capacity_record_change(sim.console.find(step["cpc"]),
                                                     step.get("change_type", "activation"))
        elif kind == "shutting_down":
            await sim.actions.shutting_down(step.get("reason", "restart"), step.get("invoker", "operator"),
                                            step.get("shutdown_type", "restart"))
        elif kind == "restart":
            sim.restart(step.get("down_seconds", 0))
        elif kind == "bcpii_console_starting":
            return {"delivered": await sim.bcpii.console_event("console-starting", {"console-type": sim.console.type})}
        elif kind == "bcpii_heartbeat":
            return {"delivered": await sim.bcpii.console_event("console-heartbeat", None)}
        elif kind == "drop_connections":
            if step.get("refuse_seconds"):
                sim.stomp.refuse(step["refuse_seconds"], step.get("refuse_with", "close"))
            return {"dropped": sim.stomp.drop_all()}
        elif kind == "stall_heartbeats":
            return {"stalled": sim.stomp.stall(step["seconds"])}
        elif kind == "fail_next_job":
            resource.fail_next_job = step.get("message", "The operation failed (scenario).")
        return {}

    async def storm(self, resource, rate: int, duration: float) -> None:
        """rate messages per second for duration seconds, paced in 10 ms ticks."""
        texts = messages_for(resource.props.get("os-type") or "MVS", seed=resource.next_os_seq)
        start = time.monotonic()
        sent = 0
        while (elapsed := time.monotonic() - start) < duration:
            due = int(elapsed * rate) + 1
            while sent < due:
                await self.sim.os_messages.emit(resource, next(texts))
                sent += 1
            await asyncio.sleep(0.01)
        LOG.info("storm on %s: %d messages in %.1fs", resource.name, sent, time.monotonic() - start)

    async def bcpii_heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.sim.console.bcpii_heartbeat_seconds)
            await self.sim.bcpii.console_event("console-heartbeat", None)
