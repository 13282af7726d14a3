"""Bulk jobs (oms.bulk_jobs): start a job, resolve its filter into chunks, run a chunk's orders
through the same operations staff run one by one, record each order's result once, retry failures.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from oms.bulk_jobs import (
    FILE_ACTIONS,
    MAX_ORDER_IDS,
    Job,
    JobAction,
    JobFilter,
    JobParams,
    JobResult,
    Outcome,
    check_params,
    chunks,
    counted,
    preview,
    result,
)
from oms.documents import pick_list, pick_lists_html
from oms.errors import ConcurrentModification, Conflict, NotFound, OmsError, ValidationFailed
from oms.order_changes import Actor
from oms.order_export import DEFAULT_COLUMNS, Granularity, csv_bytes, rows_of
from oms.ports import Shipments
from oms.shipments import OPEN, ShipmentStatus


class Jobs(Protocol):
    def create(self, job: Job) -> Job: ...
    def get(self, job_id: str) -> Job: ...
    def find(self, job_id: str) -> Job | None: ...
    def set_total(self, job_id: str, total: int) -> bool: ...
    def next_attempt(self, job: Job, failed: int) -> bool: ...
    def results_of(self, job_id: str, order_ids: list[str]) -> dict[str, JobResult]: ...
    def record(
        self,
        job_id: str,
        entries: list[tuple[JobResult | None, JobResult]],
        *,
        done: int,
        failed: int,
        retrying: int = 0,
    ) -> None: ...
    def results(self, job_id: str, *, outcome: Outcome | None, limit: int, cursor: str | None) -> Any: ...
    def orders_with(self, job_id: str, outcome: Outcome) -> list[str]: ...
    def set_document(self, job_id: str, key: str, attempt: int) -> None: ...


class ChunkQueue(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> None: ...


class JobFiles(Protocol):
    """The one file of a print_pick_lists or export job, over the orders that succeeded."""

    def write(self, job: Job, order_ids: list[str]) -> str: ...
    def url(self, key: str) -> str: ...


class OrderLister(Protocol):
    def list(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        store_id: str | None = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        now: datetime,
    ) -> Any: ...


# An action on one order: (outcome, code, message); raises OmsError when the operation refuses.
Operation = Callable[[str, JobParams, Actor], tuple[Outcome, str | None, str | None]]


class BulkJobs:
    def __init__(
        self,
        jobs: Jobs,
        queue: ChunkQueue,
        shipments: Shipments,
        orders: OrderLister,
        operations: dict[JobAction, Operation],
        files: JobFiles | None = None,
    ) -> None:
        self.jobs, self.queue, self.shipments, self.orders = jobs, queue, shipments, orders
        self.operations, self.files = operations, files

    # ------------------------------------------------------------------ staff
    def start(
        self,
        *,
        action: JobAction,
        params: JobParams,
        order_ids: list[str] | None,
        order_filter: JobFilter | None,
        dry_run: bool,
        actor: str,
        now: datetime,
        job_id: str | None = None,
    ) -> Job:
        check_params(action, params)
        if (order_ids is None) == (order_filter is None):
            raise ValidationFailed("a job names order_ids or a filter (one of them)", code="orders_required")
        ids = list(dict.fromkeys(order_ids or []))
        if order_ids is not None and not 0 < len(ids) <= MAX_ORDER_IDS:
            raise ValidationFailed(
                f"order_ids holds 1 to {MAX_ORDER_IDS} orders",
                code="too_many_orders",
                details=[{"field": "order_ids"}],
            )
        job = self.jobs.create(
            Job(
                job_id=job_id or f"job-{uuid.uuid4().hex[:20]}",
                action=action,
                params=params,
                dry_run=dry_run,
                order_filter=order_filter,
                total=len(ids) if order_filter is None else None,
                actor=actor,
                created_at=now,
                updated_at=now,
            )
        )
        if order_filter is None:
            self._enqueue(job, ids)
        else:
            self.queue.send([{"job_id": job.job_id, "plan": True}])
        return job

    def get(
        self, job_id: str, *, outcome: Outcome | None, limit: int, cursor: str | None
    ) -> tuple[Job, Any, str | None]:
        """The job, a page of its results, and its file's presigned URL once written."""
        job = self.jobs.get(job_id)
        url = self.files.url(job.document) if job.document and self.files else None
        return job, self.jobs.results(job_id, outcome=outcome, limit=limit, cursor=cursor), url

    def retry(self, job_id: str) -> tuple[Job, int]:
        """A new attempt over the orders that failed; their results are replaced as they run."""
        job = self.jobs.get(job_id)
        if job.status != "done":
            raise Conflict(f"job {job_id} is {job.status}: retry once it has run", code="job_running")
        failed = self.jobs.orders_with(job_id, Outcome.FAILED)
        if not failed:
            raise Conflict(f"job {job_id} has no failed orders", code="nothing_to_retry")
        if not self.jobs.next_attempt(job, len(failed)):
            raise Conflict(f"job {job_id} is being retried already", code="concurrent_update")
        job = job.model_copy(
            update={"attempt": job.attempt + 1, "failed": job.failed - len(failed), "retrying": len(failed)}
        )
        self._enqueue(job, failed)
        return job, len(failed)

    # ------------------------------------------------------------------ the worker
    def plan(self, job_id: str) -> int:
        """Resolve the job's filter (the listing's indexes, newest first) into chunks."""
        job = self.jobs.find(job_id)
        if job is None or job.total is not None or job.order_filter is None:
            return 0  # a redelivered plan: counted and sent already
        ids = listed_order_ids(self.orders, job.order_filter, job.created_at, MAX_ORDER_IDS)
        self._enqueue(job, ids)
        self.jobs.set_total(job_id, len(ids))
        return len(ids)

    def run_chunk(
        self, job_id: str, order_ids: list[str], attempt: int, *, now: Callable[[], datetime]
    ) -> int:
        """Run the chunk's orders that have no result of this attempt; record them together."""
        job = self.jobs.find(job_id)
        if job is None:  # a message of a job that is not there (deleted by hand): nothing to run
            return 0
        actor_name = f"{job.actor} (job {job.job_id})"
        for _ in range(3):
            seen = self.jobs.results_of(job_id, order_ids)
            todo = [o for o in order_ids if _due(seen.get(o), attempt)]
            if not todo:
                return 0
            entries = [
                (seen.get(o), self._run(job, o, attempt, Actor(actor_name, f"job:{job_id}", now())))
                for o in todo
            ]
            moves = [counted(p, r) for p, r in entries]
            done, failed, retrying = (sum(m[k] for m in moves) for k in range(3))
            try:
                self.jobs.record(job_id, entries, done=done, failed=failed, retrying=retrying)
            except ConcurrentModification:
                continue  # a duplicate delivery recorded some: the rest again (operations repeat as no-ops)
            self._write_file_when_done(job_id)
            return len(entries)
        raise ConcurrentModification(f"job {job_id}: the chunk's results kept changing")

    def _write_file_when_done(self, job_id: str) -> None:
        """The chunk that completes a file job writes its file (a chunk finishing beside it may
        write the same file again: same orders, same key)."""
        job = self.jobs.get(job_id)
        if job.action not in FILE_ACTIONS or job.dry_run or job.status != "done" or self.files is None:
            return
        key = self.files.write(job, self.jobs.orders_with(job_id, Outcome.SUCCEEDED))
        self.jobs.set_document(job_id, key, job.attempt)

    def _run(self, job: Job, order_id: str, attempt: int, actor: Actor) -> JobResult:
        try:
            if job.dry_run:
                order, shipments = self.shipments.order_with_shipments(order_id)
                if order is None:
                    return result(
                        order_id, Outcome.FAILED, "order_not_found", "no such order", attempt, actor.at
                    )
                said: tuple[Outcome, str | None, str | None] = preview(
                    job.action, job.params, order, shipments
                )
            else:
                said = self.operations[job.action](order_id, job.params, actor)
        except OmsError as error:
            return result(order_id, Outcome.FAILED, error.code, str(error), attempt, actor.at)
        return result(order_id, *said, attempt, actor.at)

    def _enqueue(self, job: Job, order_ids: list[str]) -> None:
        self.queue.send(
            [
                {"job_id": job.job_id, "order_ids": chunk, "attempt": job.attempt}
                for chunk in chunks(order_ids)
            ]
        )


def _by_this_job(order: Any, actor: Actor) -> bool:
    """A change this job made already (a chunk cut short after the order's write, run again)."""
    return any(e.source_event == actor.source_event and e.actor == actor.name for e in order.timeline)


def _due(seen: JobResult | None, attempt: int) -> bool:
    return seen is None or (seen.outcome == Outcome.FAILED and seen.attempt < attempt)


class JobDocuments:
    """Writes a file job's document to the export bucket: the orders' rows as CSV, or the pick
    lists of their open shipments as one printable HTML document (a page each)."""

    def __init__(self, store: Any, orders: Any, shipments: Shipments, locations: Any) -> None:
        self.store, self.orders, self.shipments, self.locations = store, orders, shipments, locations

    def write(self, job: Job, order_ids: list[str]) -> str:
        if job.action == JobAction.EXPORT:
            columns = DEFAULT_COLUMNS[Granularity.ORDER]
            rows: list[list[str]] = []
            for start in range(0, len(order_ids), 100):
                for order in self.orders.many(order_ids[start : start + 100]):
                    rows += rows_of(order, Granularity.ORDER, columns)
            body, _ = csv_bytes(columns, rows)
            key = f"exports/{job.job_id}.csv"
            self.store.write_file(key, body)
            return key
        where = {loc.location_id: loc for loc in self.locations.all()}
        docs = []
        for order_id in order_ids:
            _, found = self.shipments.order_with_shipments(order_id)
            docs += [pick_list(s, where.get(s.location)) for s in found if s.status in OPEN]
        key = f"exports/{job.job_id}.html"
        self.store.write_file(
            key, pick_lists_html(docs, f"Pick lists, job {job.job_id}").encode(), "text/html; charset=utf-8"
        )
        return key

    def url(self, key: str) -> str:
        return str(self.store.url(key))


def listed_order_ids(orders: OrderLister, f: JobFilter, at: datetime, most: int) -> list[str]:
    """The ids of the orders a filter lists (the listing's indexes, newest first), at most ``most``."""
    ids: list[str] = []
    cursor: str | None = None
    while len(ids) < most:
        page = orders.list(
            status=f.status.value if f.status else None,
            channel=f.channel.value if f.channel else None,
            store_id=f.store,
            placed_from=f.placed_from,
            placed_to=f.placed_to,
            limit=200,
            cursor=cursor,
            now=at,
        )
        ids += [o["order_id"] for o in page.items]
        if not page.cursor:
            break
        cursor = page.cursor
    return ids[:most]


class JobOperations:
    """Each action as the operation staff would run on one order (safe to repeat: see oms.bulk_jobs)."""

    def __init__(
        self, after_sale: Any, desk: Any, allocation: Any, shipping: Any, shipments: Shipments
    ) -> None:
        self.after_sale, self.desk, self.allocation, self.shipping = after_sale, desk, allocation, shipping
        self.shipments = shipments

    def table(self) -> dict[JobAction, Operation]:
        return {
            JobAction.CANCEL: self.cancel,
            JobAction.ADD_TAG: self.add_tag,
            JobAction.REMOVE_TAG: self.remove_tag,
            JobAction.ALLOCATE: self.allocate,
            JobAction.MARK_PACKED: self.mark_packed,
            JobAction.BUY_LABELS: self.buy_labels,
            JobAction.PRINT_PICK_LISTS: self.print_pick_lists,
            JobAction.EXPORT: self.export,
        }

    def print_pick_lists(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        waiting = self._open(order_id)
        if not waiting:
            return Outcome.SKIPPED, "nothing_to_pick", "no shipment waiting to be picked"
        return Outcome.SUCCEEDED, None, "in the pick lists: " + ", ".join(s.shipment_id for s in waiting)

    def export(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        self._open(order_id)  # the order is there (NotFound otherwise)
        return Outcome.SUCCEEDED, None, "a row of the export"

    def cancel(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        done = self.after_sale.cancel(
            order_id,
            reason=params.reason.value,
            lines=None,
            refund=params.refund,
            note=None,
            notify_customer=params.notify_customer,
            actor=actor,
            cancellation_id=actor.source_event.removeprefix("job:") if actor.source_event else None,
        )
        units = sum(done.units.values())
        if not units and _by_this_job(done.order, actor):
            return Outcome.SUCCEEDED, None, "cancelled (by this job, before its result was recorded)"
        if not units:
            return Outcome.SKIPPED, "already_cancelled", "nothing was left to cancel"
        return (
            Outcome.SUCCEEDED,
            None,
            f"cancelled {units} unit(s)" + (" and refunded them" if done.refund else ""),
        )

    def add_tag(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        return self._retag(order_id, [params.tag or ""], [], actor)

    def remove_tag(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        return self._retag(order_id, [], [params.tag or ""], actor)

    def _retag(
        self, order_id: str, add: list[str], remove: list[str], actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        order, changed = self.desk.retag(order_id, add, remove, actor=actor)
        if not changed and _by_this_job(order, actor):
            return Outcome.SUCCEEDED, None, "tags changed (by this job, before its result was recorded)"
        if not changed:
            return Outcome.SKIPPED, "tagged_already", "the order's tags were so already"
        return Outcome.SUCCEEDED, None, "tags changed"

    def allocate(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        created = self.allocation.allocate(order_id, actor, by_staff=True)
        if not created:
            return Outcome.SKIPPED, "allocated_already", "nothing left to allocate"
        return Outcome.SUCCEEDED, None, ", ".join(s.shipment_id for s in created)

    def mark_packed(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        pending = [s for s in self._open(order_id) if s.status == ShipmentStatus.PENDING]
        if not pending:
            return Outcome.SKIPPED, "nothing_to_pack", "no pending shipment"
        for shipment in pending:
            self.shipping.pack(shipment.shipment_id, actor)
        return Outcome.SUCCEEDED, None, "packed " + ", ".join(s.shipment_id for s in pending)

    def buy_labels(
        self, order_id: str, params: JobParams, actor: Actor
    ) -> tuple[Outcome, str | None, str | None]:
        unlabelled = [s for s in self._open(order_id) if s.label is None]
        if not unlabelled:
            return Outcome.SKIPPED, "nothing_to_label", "every open shipment has a label"
        numbers = [self.shipping.buy_label(s.shipment_id, actor).label.tracking_number for s in unlabelled]
        return Outcome.SUCCEEDED, None, "labels " + ", ".join(str(n) for n in numbers)

    def _open(self, order_id: str) -> list[Any]:
        order, found = self.shipments.order_with_shipments(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}", code="order_not_found")
        return [s for s in found if s.status in OPEN]
