"""Asynchronous jobs (partition start/stop, LPAR activate/deactivate) with Query Job Status and notifications."""

import asyncio
import uuid

from hmcsim.actions import Actions
from hmcsim.errors import ApiError
from hmcsim.model import Console, Resource, Session
from hmcsim.notifier import Notifier
from hmcsim.scenario import LPAR_STATUSES

# operation -> (resource kind, statuses it may start from, transitional status, final status)
OPERATIONS = {
    "start": ("partition", ("stopped",), "starting", "active"),
    "stop": ("partition", ("active", "degraded", "paused", "terminated", "status-check"), "stopping", "stopped"),
    "activate": ("logical-partition", LPAR_STATUSES, None, "operating"),
    "deactivate": ("logical-partition", LPAR_STATUSES, None, "not-activated"),
}
FORCE_FAILED = 263
"""job-reason-code of an LPAR operation the console refuses without force (zhmcclient's mock, from real machines)."""


def force_refusal(operation: str, status: str, force: bool) -> str | None:
    """Why an LPAR job fails for want of `force`, as zhmcclient documents it observed on real consoles.

    Activate and deactivate of an operating LPAR need force; deactivate of an LPAR that is not activated fails
    even with force (zhmcclient's mock notes this behaviour of an EC12).
    """
    if operation == "deactivate" and status == "not-activated":
        return "the LPAR is already deactivated"
    if operation in ("activate", "deactivate") and status == "operating" and not force:
        return f"the LPAR is in status {status} and force was not specified"
    return None


class Jobs:
    """Runs resource operations as console jobs and remembers them for Query Job Status."""

    def __init__(self, console: Console, notifier: Notifier, actions: Actions):
        self.console = console
        self.notifier = notifier
        self.actions = actions
        self.jobs: dict[str, dict] = {}
        self._tasks: set = set()

    def start(self, session: Session, resource: Resource, operation: str, body: dict) -> str:
        kind, from_statuses, transitional, _ = OPERATIONS[operation]
        if resource.kind != kind:
            raise ApiError(404, 1, f"Operation {operation} does not exist for {resource.kind} objects.")
        if not session.may("start-stop"):
            raise ApiError(403, 1, f"User {session.user.userid} is not authorized to {operation} {resource.name}.")
        if resource.props.get("status") not in from_statuses:
            raise ApiError(409, 1, f"{resource.name} has status {resource.props.get('status')!r}; "
                                   f"{operation} needs one of {', '.join(from_statuses)}.")
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise ApiError(400, 7, "force must be a boolean.")
        job_id = str(uuid.uuid4())
        job = {"job-uri": f"/api/jobs/{job_id}", "status": "running", "job-status-code": None,
               "job-reason-code": None, "job-results": None, "operation": operation, "object-uri": resource.uri,
               "name": resource.name, "session": session.id, "userid": session.user.userid, "deleted": False}
        self.jobs[job["job-uri"]] = job
        refused = force_refusal(operation, resource.props.get("status"), force)
        task = asyncio.get_running_loop().create_task(self._run(job, session, resource, transitional, refused))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job["job-uri"]

    async def _run(self, job: dict, session: Session, resource: Resource, transitional: str | None,
                   refused: str | None) -> None:
        operation = job["operation"]
        if refused:
            await asyncio.sleep(self.console.job_seconds / 2)
            self._complete(job, 500, FORCE_FAILED, f"{resource.name} could not be {operation}d: {refused}.")
            await self.notifier.job_completion(session, resource, job["job-uri"])
            return
        before = resource.props.get("status")
        if transitional:
            await self.actions.set_status(resource, transitional)
        await asyncio.sleep(self.console.job_seconds)
        failure = resource.fail_next_job or (
            f"{operation} failed (scenario)" if resource.guest and operation in resource.guest.fail_jobs else None)
        resource.fail_next_job = None
        if failure:
            await self.actions.set_status(resource, before)
            self._complete(job, 500, FORCE_FAILED, failure)
        else:
            final = OPERATIONS[operation][3]
            if resource.kind == "logical-partition":
                resource.props["activation-mode"] = "not-set" if final == "not-activated" else "general"
            await self.actions.set_status(resource, final)
            self._complete(job, 200, None, None)
        await self.notifier.job_completion(session, resource, job["job-uri"])

    @staticmethod
    def _complete(job: dict, status_code: int, reason_code: int | None, message: str | None) -> None:
        job.update({"status": "complete", "job-status-code": status_code, "job-reason-code": reason_code,
                    "job-results": {"message": message} if message else {}})

    def query(self, session: Session, job_uri: str) -> dict:
        job = self._job(job_uri)
        return {key: job[key] for key in ("status", "job-status-code", "job-reason-code", "job-results")}

    def delete(self, session: Session, job_uri: str) -> None:
        """Delete Completed Job Status: 204 once the job ended (zhmcclient does it after every wait), 409.40 before."""
        job = self._job(job_uri)
        if job["status"] not in ("complete", "canceled"):
            raise ApiError(409, 40, f"The job {job_uri} has not ended yet (status {job['status']}).")
        job["deleted"] = True

    def _job(self, job_uri: str) -> dict:
        job = self.jobs.get(job_uri)
        if job is None or job.get("deleted"):
            raise ApiError(404, 1, f"The job {job_uri} does not exist.")
        return job

    async def completed(self, session: Session, resource: Resource, operation: str, status_code: int) -> str:
        """A job of `session` that completes at once (control API step): job-completion to its job topic only."""
        job_id = str(uuid.uuid4())
        failed = status_code >= 400
        job = {"job-uri": f"/api/jobs/{job_id}", "status": "running", "job-status-code": None,
               "job-reason-code": None, "job-results": None, "operation": operation, "object-uri": resource.uri,
               "name": resource.name, "session": session.id, "userid": session.user.userid, "deleted": False}
        self._complete(job, status_code, FORCE_FAILED if failed else None, f"{operation} failed" if failed else None)
        self.jobs[job["job-uri"]] = job
        await self.notifier.job_completion(session, resource, job["job-uri"])
        return job["job-uri"]
