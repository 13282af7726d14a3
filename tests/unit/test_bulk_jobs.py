"""Bulk jobs (oms.bulk_jobs) and their service over in-memory ports
(oms.services.bulk_job_service): chunks, counters, dry-run previews, results recorded once."""

from __future__ import annotations

import functools
import operator
from datetime import UTC, datetime
from typing import Any

import pytest

from oms.bulk_jobs import (
    CHUNK,
    Job,
    JobAction,
    JobParams,
    JobResult,
    Outcome,
    chunks,
    counted,
    preview,
)
from oms.errors import ConcurrentModification, Conflict, NotFound, ValidationFailed
from oms.order_changes import Actor
from oms.services.bulk_job_service import BulkJobs
from tests.unit.test_notification_plan import order

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def res(outcome: Outcome, attempt: int = 1) -> JobResult:
    return JobResult(order_id="o", outcome=outcome, attempt=attempt, at=AT)


def test_orders_are_cut_into_chunks_once_each() -> None:
    ids = [f"o{i}" for i in range(CHUNK * 2 + 3)] + ["o0"]
    parts = chunks(ids)
    assert [len(p) for p in parts] == [CHUNK, CHUNK, 3]
    assert functools.reduce(operator.iadd, parts, []) == list(dict.fromkeys(ids))


@pytest.mark.parametrize(
    ("previous", "now", "moves"),
    [
        (None, Outcome.SUCCEEDED, (1, 0, 0)),
        (None, Outcome.FAILED, (0, 1, 0)),
        (None, Outcome.SKIPPED, (1, 0, 0)),
        (Outcome.FAILED, Outcome.SUCCEEDED, (1, 0, -1)),
        (Outcome.FAILED, Outcome.FAILED, (0, 1, -1)),
    ],
)
def test_a_result_moves_the_counters_over_the_one_it_replaces(
    previous: Outcome | None, now: Outcome, moves: tuple[int, int, int]
) -> None:
    assert counted(res(previous) if previous else None, res(now)) == moves


def test_a_dry_run_preview_tells_what_each_action_would_do() -> None:
    o = order().model_copy(update={"tags": ["vip"]})
    assert preview(JobAction.ADD_TAG, JobParams(tag="VIP"), o, [])[0] == Outcome.SKIPPED
    assert preview(JobAction.ADD_TAG, JobParams(tag="rush"), o, [])[:2] == (Outcome.WOULD, "add_tag")
    assert preview(JobAction.REMOVE_TAG, JobParams(tag="vip"), o, [])[0] == Outcome.WOULD
    outcome, code, message = preview(JobAction.CANCEL, JobParams(), o, [])
    assert (outcome, code) == (Outcome.WOULD, "cancel")
    assert "1 unit" in message
    assert preview(JobAction.ALLOCATE, JobParams(), o, [])[:2] == (Outcome.WOULD, "allocate")
    assert preview(JobAction.MARK_PACKED, JobParams(), o, [])[0] == Outcome.SKIPPED
    assert preview(JobAction.PRINT_PICK_LISTS, JobParams(), o, [])[:2] == (Outcome.SKIPPED, "nothing_to_pick")
    assert preview(JobAction.EXPORT, JobParams(), o, [])[0] == Outcome.WOULD


class MemoryJobs:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.recorded: dict[tuple[str, str], JobResult] = {}
        self.race_once = False

    def create(self, job: Job) -> Job:
        return self.jobs.setdefault(job.job_id, job)

    def get(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise NotFound("no job", code="job_not_found")
        return self.jobs[job_id]

    def find(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def set_total(self, job_id: str, total: int) -> bool:
        self.jobs[job_id] = self.jobs[job_id].model_copy(update={"total": total})
        return True

    def next_attempt(self, job: Job, failed: int) -> bool:
        self.jobs[job.job_id] = job.model_copy(
            update={"attempt": job.attempt + 1, "failed": job.failed - failed, "retrying": failed}
        )
        return True

    def results_of(self, job_id: str, order_ids: list[str]) -> dict[str, JobResult]:
        return {o: self.recorded[(job_id, o)] for o in order_ids if (job_id, o) in self.recorded}

    def record(
        self,
        job_id: str,
        entries: list[tuple[JobResult | None, JobResult]],
        *,
        done: int,
        failed: int,
        retrying: int = 0,
    ) -> None:
        if self.race_once:  # another delivery recorded the first order meanwhile
            self.race_once = False
            first = entries[0][1]
            self.recorded[(job_id, first.order_id)] = first
            j = self.jobs[job_id]
            self.jobs[job_id] = j.model_copy(update={"done": j.done + 1})
            raise ConcurrentModification("raced")
        for previous, r in entries:
            assert self.recorded.get((job_id, r.order_id)) == previous
            self.recorded[(job_id, r.order_id)] = r
        j = self.jobs[job_id]
        self.jobs[job_id] = j.model_copy(
            update={"done": j.done + done, "failed": j.failed + failed, "retrying": j.retrying + retrying}
        )

    def results(self, job_id: str, *, outcome: Outcome | None, limit: int, cursor: str | None) -> Any:
        raise NotImplementedError

    def orders_with(self, job_id: str, outcome: Outcome) -> list[str]:
        return [r.order_id for (j, _), r in self.recorded.items() if j == job_id and r.outcome == outcome]

    def set_document(self, job_id: str, key: str, attempt: int) -> None:
        self.jobs[job_id] = self.jobs[job_id].model_copy(update={"document": key})


class Queue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, messages: list[dict[str, Any]]) -> None:
        self.sent += messages


def service(runs: list[str], fail: set[str]) -> tuple[BulkJobs, MemoryJobs, Queue]:
    def tag(order_id: str, params: JobParams, actor: Actor) -> tuple[Outcome, str | None, str | None]:
        runs.append(order_id)
        if order_id in fail:
            raise NotFound("no order", code="order_not_found")
        return Outcome.SUCCEEDED, None, "tagged"

    jobs, queue = MemoryJobs(), Queue()
    return BulkJobs(jobs, queue, None, None, {JobAction.ADD_TAG: tag}), jobs, queue  # type: ignore[arg-type]


def test_each_order_runs_once_and_a_redelivered_chunk_runs_nothing() -> None:
    runs: list[str] = []
    bulk, jobs, queue = service(runs, fail={"o2"})
    job = bulk.start(
        action=JobAction.ADD_TAG,
        params=JobParams(tag="t"),
        order_ids=["o1", "o2", "o3"],
        order_filter=None,
        dry_run=False,
        actor="staff:ada",
        now=AT,
        job_id="j1",
    )
    (message,) = queue.sent
    assert (job.total, message["order_ids"], message["attempt"]) == (3, ["o1", "o2", "o3"], 1)
    assert bulk.run_chunk("j1", message["order_ids"], 1, now=lambda: AT) == 3
    assert bulk.run_chunk("j1", message["order_ids"], 1, now=lambda: AT) == 0
    assert runs == ["o1", "o2", "o3"]
    done = jobs.get("j1")
    assert (done.status, done.done, done.failed) == ("done", 2, 1)
    assert jobs.recorded[("j1", "o2")].code == "order_not_found"

    again, count = bulk.retry("j1")
    assert (again.attempt, count, queue.sent[-1]["order_ids"]) == (2, 1, ["o2"])
    assert (again.status, again.failed, again.retrying) == ("running", 0, 1)
    bulk.run_chunk("j1", ["o2"], 2, now=lambda: AT)
    assert runs[-1] == "o2"
    assert (jobs.get("j1").done, jobs.get("j1").failed, jobs.get("j1").retrying) == (2, 1, 0)
    assert jobs.get("j1").status == "done"


def test_a_chunk_that_races_a_duplicate_records_only_what_is_left() -> None:
    runs: list[str] = []
    bulk, jobs, _queue = service(runs, fail=set())
    bulk.start(
        action=JobAction.ADD_TAG,
        params=JobParams(tag="t"),
        order_ids=["a", "b"],
        order_filter=None,
        dry_run=False,
        actor="staff:ada",
        now=AT,
        job_id="j2",
    )
    jobs.race_once = True
    assert bulk.run_chunk("j2", ["a", "b"], 1, now=lambda: AT) == 1
    assert (jobs.get("j2").done, jobs.get("j2").failed) == (2, 0)


def test_a_job_needs_orders_a_tag_and_a_finished_run_to_retry() -> None:
    bulk, _, _ = service([], fail=set())
    kwargs: dict[str, Any] = {"order_filter": None, "dry_run": False, "actor": "a", "now": AT}
    with pytest.raises(ValidationFailed) as refused:
        bulk.start(action=JobAction.ADD_TAG, params=JobParams(), order_ids=["a"], **kwargs)
    assert refused.value.code == "tag_required"
    with pytest.raises(ValidationFailed) as refused:
        bulk.start(action=JobAction.ADD_TAG, params=JobParams(tag="t"), order_ids=None, **kwargs)
    assert refused.value.code == "orders_required"
    bulk.start(action=JobAction.ADD_TAG, params=JobParams(tag="t"), order_ids=["a"], job_id="j3", **kwargs)
    with pytest.raises(Conflict) as running:
        bulk.retry("j3")
    assert running.value.code == "job_running"
