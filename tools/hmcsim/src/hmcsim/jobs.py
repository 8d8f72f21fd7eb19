"""Asynchronous jobs (partition start/stop, LPAR activate/deactivate) with Query Job Status and notifications."""

import asyncio
import uuid

from hmcsim.actions import Actions
from hmcsim.errors import ApiError
from hmcsim.model import Console, Resource, Session
from hmcsim.notifier import Notifier

# operation -> (resource kind, statuses it may start from, transitional status, final status)
OPERATIONS = {
    "start": ("partition", ("stopped", "terminated", "paused", "reservation-error"), "starting", "active"),
    "stop": ("partition", ("active", "degraded", "paused", "terminated", "status-check"), "stopping", "stopped"),
    "activate": ("logical-partition", ("not-activated", "not-operating"), None, "operating"),
    "deactivate": ("logical-partition", ("operating", "not-operating", "exceptions"), None, "not-activated"),
}


class Jobs:
    """Runs resource operations as console jobs and remembers them for Query Job Status."""

    def __init__(self, console: Console, notifier: Notifier, actions: Actions):
        self.console = console
        self.notifier = notifier
        self.actions = actions
        self.jobs: dict[str, dict] = {}
        self._tasks: set = set()

    def start(self, session: Session, resource: Resource, operation: str) -> str:
        kind, from_statuses, transitional, _ = OPERATIONS[operation]
        if resource.kind != kind:
            raise ApiError(404, 1, f"Operation {operation} does not exist for {resource.kind} objects.")
        if not session.may("start-stop"):
            raise ApiError(403, 1, f"User {session.user.userid} is not authorized to {operation} {resource.name}.")
        if resource.props.get("status") not in from_statuses:
            raise ApiError(409, 1, f"{resource.name} has status {resource.props.get('status')!r}; "
                                   f"{operation} needs one of {', '.join(from_statuses)}.")
        job_id = str(uuid.uuid4())
        job = {"job-uri": f"/api/jobs/{job_id}", "status": "running", "job-status-code": None,
               "job-reason-code": None, "job-results": None, "operation": operation, "object-uri": resource.uri,
               "name": resource.name, "session": session.id, "userid": session.user.userid}
        self.jobs[job["job-uri"]] = job
        task = asyncio.get_running_loop().create_task(self._run(job, session, resource, transitional))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job["job-uri"]

    async def _run(self, job: dict, session: Session, resource: Resource, transitional: str | None) -> None:
        operation = job["operation"]
        before = resource.props.get("status")
        if transitional:
            await self.actions.set_status(resource, transitional)
        await asyncio.sleep(self.console.job_seconds)
        failure = resource.fail_next_job or (
            f"{operation} failed (scenario)" if resource.guest and operation in resource.guest.fail_jobs else None)
        resource.fail_next_job = None
        if failure:
            await self.actions.set_status(resource, before)
            job.update({"status": "complete", "job-status-code": 500, "job-reason-code": 263,
                        "job-results": {"message": failure}})
        else:
            await self.actions.set_status(resource, OPERATIONS[operation][3])
            job.update({"status": "complete", "job-status-code": 200, "job-reason-code": None, "job-results": {}})
        await self.notifier.job_completion(session, resource, job["job-uri"])

    def query(self, session: Session, job_uri: str) -> dict:
        job = self.jobs.get(job_uri)
        if job is None:
            raise ApiError(404, 1, f"The job {job_uri} does not exist.")
        return {key: job[key] for key in ("status", "job-status-code", "job-reason-code", "job-results")}

    async def completed(self, resource: Resource, operation: str, status_code: int) -> str:
        """A job that completes at once (scenario step): job-completion to every session's job topic."""
        job_id = str(uuid.uuid4())
        failed = status_code >= 400
        job = {"job-uri": f"/api/jobs/{job_id}", "status": "complete", "job-status-code": status_code,
               "job-reason-code": 263 if failed else None,
               "job-results": {"message": f"{operation} failed"} if failed else {}, "operation": operation,
               "object-uri": resource.uri, "name": resource.name, "session": None, "userid": None}
        self.jobs[job["job-uri"]] = job
        await self.notifier.job_completion(None, resource, job["job-uri"])
        return job["job-uri"]
