"""Telling the store a shipment left, a customer note, a refund, a cancellation or an edit (oms.channel_push
plans the steps), each step at most once: a retry after a half-done push repeats only what did not
happen. A failed call that may succeed later is raised for the queue to retry; the channel's answer
never blocks the order. A refund's answer is recorded on it (succeeded, or failed with the
channel's words after a refusal or the last attempt); a refused cancellation is noted on the order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from oms.channel_push import (
    PushPlan,
    plan_cancel_push,
    plan_edit_push,
    plan_note_push,
    plan_push,
    plan_refund_push,
)
from oms.integrations.http_transport import HttpError, Transport
from oms.integrations.shopify_graphql import ChannelRefused
from oms.models import EditPush, Order, RefundStatus, Store
from oms.order_changes import Actor
from oms.ports import Shipments
from oms.refunds import find_refund
from oms.timeutil import utcnow

Once = Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]]


class ChannelStores(Protocol):
    def find(self, store_id: str) -> Store | None: ...
    def api_credentials(self, store: Store) -> dict[str, Any] | None: ...


@dataclass
class PushReport:
    shipment_id: str  # or the note's id, for a note
    skipped: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)  # each step's name and result


class Outcomes(Protocol):
    """Where the channel's answers are recorded (oms.services.after_sale.AfterSale)."""

    def record_outcome(
        self,
        order_id: str,
        refund_id: str,
        status: RefundStatus,
        actor: Actor,
        *,
        channel_refund_id: str | None = None,
        message: str | None = None,
    ) -> object: ...
    def record_push_problem(self, order_id: str, text: str, actor: Actor) -> None: ...
    def record_edit_push(
        self,
        order_id: str,
        edit_id: str,
        push: EditPush,
        text: str,
        channel_lines: dict[str, str],
        actor: Actor,
    ) -> object: ...


class ChannelSyncService:
    def __init__(
        self,
        shipments: Shipments,
        stores: ChannelStores,
        transport: Transport,
        once: Once,
        outcomes: Outcomes,
    ) -> None:
        self.shipments, self.stores, self.transport, self.once = shipments, stores, transport, once
        self.outcomes = outcomes

    def push_refund(self, order_id: str, refund_id: str, *, last_attempt: bool) -> PushReport:
        """A pending refund to the channel; its answer recorded on the refund."""
        order, store, credentials = self._read(order_id)
        plan = plan_refund_push(store, order, refund_id, credentials, self.transport)
        actor = Actor("channel-sync", f"refund:{refund_id}", utcnow())
        if plan.skipped:
            refund = find_refund(order, refund_id) if order is not None else None
            if refund is not None and refund.status == RefundStatus.PENDING:  # and it cannot be sent
                self.outcomes.record_outcome(
                    order_id, refund_id, RefundStatus.FAILED, actor, message=plan.skipped
                )
            return PushReport(refund_id, skipped=plan.skipped)
        try:
            report = self._run(PushReport(refund_id), plan, f"{order_id}:refund:{refund_id}")
        except (ChannelRefused, HttpError) as error:
            if isinstance(error, HttpError) and error.retryable and not last_attempt:
                raise
            self.outcomes.record_outcome(order_id, refund_id, RefundStatus.FAILED, actor, message=str(error))
            return PushReport(refund_id, skipped=f"refused: {error}")
        made = report.steps[-1].get("channel_refund_id") if report.steps else None
        self.outcomes.record_outcome(
            order_id, refund_id, RefundStatus.SUCCEEDED, actor, channel_refund_id=str(made) if made else None
        )
        return report

    def push_cancellation(self, detail: dict[str, Any], *, last_attempt: bool) -> PushReport:
        """Units staff cancelled, to the channel; a refusal is noted on the order."""
        order_id, cancellation_id = str(detail.get("order_id", "")), str(detail.get("cancellation_id", ""))
        order, store, credentials = self._read(order_id)
        plan = plan_cancel_push(store, order, detail, credentials, self.transport)
        if plan.skipped:
            return PushReport(cancellation_id, skipped=plan.skipped)
        try:
            return self._run(PushReport(cancellation_id), plan, f"{order_id}:cancel:{cancellation_id}")
        except (ChannelRefused, HttpError) as error:
            if isinstance(error, HttpError) and error.retryable and not last_attempt:
                raise
            actor = Actor("channel-sync", f"cancellation:{cancellation_id}", utcnow())
            text = (
                f"the channel did not take cancellation {cancellation_id}: {error};"
                " change the order there by hand"
            )
            self.outcomes.record_push_problem(order_id, text, actor)
            return PushReport(cancellation_id, skipped=f"refused: {error}")

    def push_edit(self, order_id: str, edit_id: str, *, last_attempt: bool) -> PushReport:
        """A staff edit made on Shopify's order; its answer (and the ids Shopify gave the lines
        we added) recorded on the edit."""
        order, store, credentials = self._read(order_id)
        plan = plan_edit_push(store, order, edit_id, credentials, self.transport)
        actor = Actor("channel-sync", f"edit:{edit_id}", utcnow())
        if plan.skipped:
            edit = order.edit(edit_id) if order is not None else None
            if edit is not None and edit.push == EditPush.PENDING:  # and it cannot be sent
                text = f"recorded in the OMS only: {plan.skipped}"
                self.outcomes.record_edit_push(order_id, edit_id, EditPush.OMS_ONLY, text, {}, actor)
            return PushReport(edit_id, skipped=plan.skipped)
        try:
            report = self._run(PushReport(edit_id), plan, f"{order_id}:edit:{edit_id}")
        except (ChannelRefused, HttpError) as error:
            if isinstance(error, HttpError) and error.retryable and not last_attempt:
                raise
            text = f"Shopify did not take the edit: {error}; change the order there by hand"
            self.outcomes.record_edit_push(order_id, edit_id, EditPush.REFUSED, text, {}, actor)
            return PushReport(edit_id, skipped=f"refused: {error}")
        lines: dict[str, str] = {}
        for step in report.steps:
            lines.update(step.get("channel_lines") or {})
        self.outcomes.record_edit_push(
            order_id, edit_id, EditPush.PUSHED, "made on Shopify as an order edit", lines, actor
        )
        return report

    def push(self, order_id: str, shipment_id: str) -> PushReport:
        order, all_shipments = self.shipments.order_with_shipments(order_id)
        shipment = next((s for s in all_shipments if s.shipment_id == shipment_id), None)
        if shipment is None:
            return PushReport(shipment_id, skipped="the shipment no longer exists")
        store = self.stores.find(shipment.store_id)
        credentials = self.stores.api_credentials(store) if store else None
        plan = plan_push(store, order, shipment, credentials, self.transport)
        if plan.skipped:
            return PushReport(shipment_id, skipped=plan.skipped)
        try:
            return self._run(PushReport(shipment_id), plan, shipment_id)
        except ChannelRefused as error:  # retrying will not change its mind: staff are told
            actor = Actor("channel-sync", f"shipment:{shipment_id}", utcnow())
            text = f"the channel did not take shipment {shipment_id}: {error}; fulfil it there by hand"
            self.outcomes.record_push_problem(order_id, text, actor)
            return PushReport(shipment_id, skipped=f"refused: {error}")

    def push_note(self, order_id: str, note_id: str) -> PushReport:
        """A customer note to the order's channel, once (keyed by the note)."""
        order, store, credentials = self._read(order_id)
        plan = plan_note_push(store, order, note_id, credentials, self.transport)
        if plan.skipped:
            return PushReport(note_id, skipped=plan.skipped)
        return self._run(PushReport(note_id), plan, f"{order_id}:note:{note_id}")

    def _read(self, order_id: str) -> tuple[Order | None, Store | None, dict[str, Any] | None]:
        """The order, its store and the store's API credentials (None where there are none)."""
        order, _ = self.shipments.order_with_shipments(order_id)
        store = self.stores.find(order.store_id) if order else None
        return order, store, self.stores.api_credentials(store) if store else None

    def _run(self, report: PushReport, plan: PushPlan, key: str) -> PushReport:
        for step in plan.steps:
            result = self.once(f"{key}:{step.name}", step.run)
            report.steps.append({"step": step.name, **result})
        return report
