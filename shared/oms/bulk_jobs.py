"""Bulk jobs over many orders (``POST /jobs``): what a job is, its actions, and what a dry run
says would happen to each order: pure.

A job names an action, its orders (``order_ids``, or a ``filter`` of the listing's fields, resolved
by the worker) and the action's ``params``. The work is cut into chunks of ``CHUNK`` orders, each one
SQS message, so 10,000 orders never sit in one Lambda invocation. Each order gets one result
(``succeeded``, ``failed`` with the operation's error code, ``skipped`` when there was nothing to do,
or ``would`` in a dry run); a result is recorded once per attempt, with the job's counters in the
same transaction, so a redelivered chunk counts nothing twice. A retry (``POST /jobs/{id}/retry``)
is a new attempt over the failed orders: their results are replaced, the counters moved back.
Every action is an operation that is safe to repeat (a cancellation under the job's id, tags the
order has already, a packed shipment packed again), so a chunk cut short by a crash and run again
does no order's work twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from oms.cancellation import CANCELLABLE, line_states
from oms.errors import ValidationFailed
from oms.identifiers import STORE_ID_PATTERN
from oms.models import CancelReason, Channel, Model, Order
from oms.order_lifecycle import OrderStatus
from oms.order_tags import staff_tags
from oms.shipments import OPEN, Shipment, ShipmentStatus
from oms.timeutil import UtcDateTime

CHUNK = 25  # orders per SQS message: a chunk's results and the counters fit one transaction
MAX_ORDER_IDS = 10_000


class JobAction(StrEnum):
    CANCEL = "cancel"
    ADD_TAG = "add_tag"
    REMOVE_TAG = "remove_tag"
    ALLOCATE = "allocate"
    MARK_PACKED = "mark_packed"
    BUY_LABELS = "buy_labels"
    PRINT_PICK_LISTS = "print_pick_lists"  # one HTML document: the pick lists of the orders' open shipments
    EXPORT = "export"  # one CSV of the orders (oms.order_export's order columns)


# Actions whose outcome is one file over the job's orders, written when the last result is in.
FILE_ACTIONS = frozenset({JobAction.PRINT_PICK_LISTS, JobAction.EXPORT})


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to do for this order (already so)
    WOULD = "would"  # a dry run: what the action would do


Tag = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True, pattern=r"^[^,]+$")
]


class JobParams(Model):
    tag: Tag | None = None  # add_tag, remove_tag
    reason: CancelReason = CancelReason.STAFF  # cancel
    refund: bool = False  # cancel: refund what the cancelled units were paid
    notify_customer: bool = True  # cancel


class JobFilter(Model):
    """The listing's filters (GET /orders): the orders a job runs over, newest first."""

    status: OrderStatus | None = None
    channel: Channel | None = None
    store: Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)] | None = None
    placed_from: UtcDateTime | None = Field(default=None, alias="from")
    placed_to: UtcDateTime | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _bounded(self) -> JobFilter:
        if self.status is None and self.store is None and self.placed_from is None:
            raise ValueError("a filter names a status, a store or a 'from' date (not every order ever)")
        return self


class Job(Model):
    job_id: str
    action: JobAction
    params: JobParams = Field(default_factory=JobParams)
    dry_run: bool = False
    order_filter: JobFilter | None = None
    total: int | None = None  # None while the filter is being resolved
    done: int = 0  # orders with a result other than failed
    failed: int = 0
    retrying: int = 0  # failed orders queued again by a retry, not yet run
    attempt: int = 1
    document: str | None = None  # the file a print_pick_lists or export job wrote (its key)
    actor: str
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @property
    def status(self) -> str:
        if self.total is None:
            return "planning"
        return "done" if self.done + self.failed >= self.total and not self.retrying else "running"


class JobResult(Model):
    order_id: str
    outcome: Outcome
    code: str | None = None  # the operation's error code when it failed; what it found when skipped
    message: str | None = None
    attempt: int = 1
    at: UtcDateTime


class ChunkMessage(Model):
    """A jobs-queue message: resolve the job's filter (``plan``), run these orders, or write an export."""

    job_id: str = ""
    export_id: str | None = None  # an order export to write (oms.services.export_service)
    plan: bool = False
    order_ids: list[str] = Field(default_factory=list, max_length=CHUNK)
    attempt: int = Field(default=1, ge=1)


def check_params(action: JobAction, params: JobParams) -> None:
    if action in (JobAction.ADD_TAG, JobAction.REMOVE_TAG) and not params.tag:
        raise ValidationFailed(
            f"{action.value} needs params.tag", code="tag_required", details=[{"field": "params.tag"}]
        )


def chunks(order_ids: list[str], size: int = CHUNK) -> list[list[str]]:
    unique = list(dict.fromkeys(order_ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def counted(previous: JobResult | None, result: JobResult) -> tuple[int, int, int]:
    """How a result moves the job's (done, failed, retrying) counters. Only a failed result is
    ever replaced, by a retry, which moved it from ``failed`` to ``retrying`` when it was asked."""
    failed = int(result.outcome == Outcome.FAILED)
    return 1 - failed, failed, -1 if previous is not None else 0


def preview(
    action: JobAction, params: JobParams, order: Order, shipments: list[Shipment]
) -> tuple[Outcome, str, str]:
    """What the action would do to this order: (would | skipped | failed, code, message)."""
    if action == JobAction.CANCEL:
        if order.status == OrderStatus.CANCELLED:
            return Outcome.SKIPPED, "already_cancelled", "the order is cancelled already"
        states = line_states(order, shipments)
        if order.status not in CANCELLABLE or any(s.shipped for s in states.values()):
            return (
                Outcome.FAILED,
                "order_already_shipped",
                "units have left a warehouse: a return is the way back",
            )
        if any(s.status == ShipmentStatus.PACKED for s in shipments):
            return Outcome.FAILED, "shipment_packed", "a packed parcel holds units: unpack it first"
        units = sum(s.unsent for s in states.values())
        return (
            Outcome.WOULD,
            "cancel",
            f"would cancel {units} unit(s){' and refund them' if params.refund else ''}",
        )
    if action in (JobAction.ADD_TAG, JobAction.REMOVE_TAG):
        tag = params.tag or ""
        after = staff_tags(order.tags, {tag: action == JobAction.ADD_TAG})
        if {t.casefold() for t in after} == {t.casefold() for t in order.tags}:
            return Outcome.SKIPPED, "tagged_already", "the order's tags are so already"
        verb = "add" if action == JobAction.ADD_TAG else "remove"
        return Outcome.WOULD, action.value, f"would {verb} tag {tag!r}"
    carried = {
        ln.line_id: sum(s.quantity_of(ln.line_id) for s in shipments if s.status != ShipmentStatus.CANCELLED)
        for ln in order.lines
    }
    if action == JobAction.ALLOCATE:
        if not order.reservation.reserved:
            return (
                Outcome.FAILED,
                "order_not_allocatable",
                f"the order is {order.status.value} and holds no stock",
            )
        if all(carried.get(ln.line_id, 0) >= ln.open_quantity for ln in order.lines):
            return Outcome.SKIPPED, "allocated_already", "every line is in a shipment"
        return Outcome.WOULD, "allocate", "would allocate its reserved lines to shipments"
    open_ = [s for s in shipments if s.status in OPEN]
    if action == JobAction.EXPORT:
        return Outcome.WOULD, "export", "would be a row of the export"
    if action == JobAction.PRINT_PICK_LISTS:
        if not open_:
            return Outcome.SKIPPED, "nothing_to_pick", "no shipment waiting to be picked"
        return Outcome.WOULD, "print_pick_lists", f"would print {', '.join(s.shipment_id for s in open_)}"
    if action == JobAction.MARK_PACKED:
        pending = [s.shipment_id for s in open_ if s.status == ShipmentStatus.PENDING]
        if not pending:
            return Outcome.SKIPPED, "nothing_to_pack", "no pending shipment"
        return Outcome.WOULD, "mark_packed", f"would pack {', '.join(pending)}"
    unlabelled = [s.shipment_id for s in open_ if s.label is None]
    if not unlabelled:
        return Outcome.SKIPPED, "nothing_to_label", "every open shipment has a label"
    return Outcome.WOULD, "buy_labels", f"would buy a label for {', '.join(unlabelled)}"


def result(
    order_id: str, outcome: Outcome, code: str | None, message: str | None, attempt: int, at: datetime
) -> JobResult:
    return JobResult(order_id=order_id, outcome=outcome, code=code, message=message, attempt=attempt, at=at)


def job_summary(job: Job) -> dict[str, Any]:
    return {**job.model_dump(mode="json", by_alias=True), "status": job.status}
