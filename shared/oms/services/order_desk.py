"""The staff's order desk: reading and listing orders, entering manual (phone, point-of-sale)
orders, and asking for an order to be decided again. Manual orders and retries go through the
same intake queue as the channels' webhooks, in the order's own FIFO group."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from oms.admin_requests import NoteRequest
from oms.channels.manual_orders import ManualOrderRequest, QueuedManualOrder
from oms.errors import BadRequest, ConcurrentModification, Conflict, NotFound
from oms.identifiers import MANUAL, order_id_for
from oms.intake_message import RETRY_TOPIC, IntakeMessage
from oms.models import Note, Order
from oms.order_changes import Actor
from oms.order_lifecycle import OrderStatus
from oms.order_notes import add_note
from oms.order_tags import retag
from oms.ports import IntakeQueue, OrderRecords, Stores
from oms.timeutil import iso

# Orders a retry can move: held ones (the usual case) and ones whose stock is being worked out.
RETRYABLE = frozenset(
    {OrderStatus.ON_HOLD, OrderStatus.PLACED, OrderStatus.AWAITING_PAYMENT, OrderStatus.CONFIRMED}
)


class OrderDesk:
    def __init__(self, orders: OrderRecords, stores: Stores, queue: IntakeQueue) -> None:
        self.orders, self.stores, self.queue = orders, stores, queue

    def add_note(
        self, order_id: str, body: NoteRequest, *, idempotency_key: str | None, actor: Actor
    ) -> tuple[Order, Note]:
        """Write a staff note; the same Idempotency-Key again returns the note it wrote. A write
        that loses a race with another change is read and made again."""
        note_id = idempotency_key or uuid.uuid4().hex[:24]
        for _ in range(3):
            order = self.get(order_id)
            note, change = add_note(order, note_id, body.text, body.visibility, actor)
            if change is None:
                return order, note
            try:
                self.orders.save(change)
            except ConcurrentModification:
                continue
            return change.order, note
        raise Conflict(f"order {order_id} is being changed; try again", code="concurrent_update")

    def retag(self, order_id: str, add: list[str], remove: list[str], *, actor: Actor) -> tuple[Order, bool]:
        """Add and remove tags; the order and whether it changed (asking again changes nothing)."""
        for _ in range(3):
            order = self.get(order_id)
            change = retag(order, add, remove, actor)
            if change is None:
                return order, False
            try:
                self.orders.save(change)
            except ConcurrentModification:
                continue
            return change.order, True
        raise Conflict(f"order {order_id} is being changed; try again", code="concurrent_update")

    def get(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}", code="order_not_found")
        return order

    def create_manual(
        self, body: ManualOrderRequest, *, idempotency_key: str | None, actor: str, now: datetime
    ) -> str:
        """Queue a manual order; its id comes from the reference (or the Idempotency-Key), so
        sending it twice creates one order."""
        if self.stores.find(body.store_id) is None:
            raise NotFound(f"unknown store {body.store_id!r}", code="unknown_store")
        if body.reference and idempotency_key and body.reference != idempotency_key:
            raise BadRequest("reference and Idempotency-Key differ", code="conflicting_reference")
        reference = body.reference or idempotency_key or uuid.uuid4().hex[:24]
        queued = QueuedManualOrder(**body.model_dump(), id=reference, placed_at=now)
        self.queue.enqueue(
            IntakeMessage(
                channel=MANUAL,
                store_id=body.store_id,
                topic="orders/create",
                event_id=f"manual:{reference}",
                channel_order_id=reference,
                body=json.dumps(queued.model_dump(mode="json")),
                received_at=iso(now),
                attributes={"actor": actor},
            )
        )
        return order_id_for(body.store_id, reference)

    def retry(self, order_id: str, *, actor: str, now: datetime) -> dict[str, Any]:
        """Decide the order again from what we stored: with the variant map and stock as they are
        now (a hold for unknown SKUs or for stock is released when they allow it)."""
        order = self.get(order_id)
        if order.status not in RETRYABLE:
            raise Conflict(
                f"order {order_id} is {order.status.value}: there is nothing for a retry to decide",
                code="order_not_retryable",
            )
        self.queue.enqueue(
            IntakeMessage(
                channel=order.channel.value,
                store_id=order.store_id,
                topic=RETRY_TOPIC,
                event_id=f"retry:{order_id}:{order.version}:{iso(now)}",
                channel_order_id=order.channel_order_id,
                body=json.dumps({"channel_order_id": order.channel_order_id}),
                received_at=iso(now),
                attributes={"actor": actor},
            )
        )
        return {"order_id": order_id, "status": order.status.value, "queued": True}
