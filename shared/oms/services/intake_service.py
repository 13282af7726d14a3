"""Recording a channel delivery on its order, exactly once however often it arrives.

Loads what deciding needs (the order, its shipments when it has any, the store's rules and
variant map, the stock the channel's own fulfilments may take), decides (oms.intake_rules), and
commits the order with its stock moves and shipments all or nothing; a concurrent change is read
again and decided again, a shortage decided again knowing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.channels.incoming import (
    FulfilmentReported,
    IncomingOrder,
    OrderDeleted,
    RefundReported,
    RetryOrder,
    normalise,
    order_id_of,
)
from oms.errors import BadRequest, ConcurrentModification, StockShortage
from oms.fulfilment import FulfilmentChange, rules_for
from oms.intake_message import RETRY_TOPIC, IntakeMessage
from oms.intake_rules import IntakeContext, decide
from oms.line_identity import resolve, seen_variants, unmapped_keys
from oms.models import Channel, Order, OrderSnapshot, Store, StoreSettings
from oms.order_changes import Actor
from oms.order_lifecycle import OrderStatus
from oms.order_reconciliation import StockView
from oms.ports import Locations, Shipments, StockLevels, Stores, Variants
from oms.privacy import redact_snapshot
from oms.shipments import Shipment
from oms.timeutil import parse_iso
from oms.webhooks import CREATE_TOPICS

# The order in full, read from a channel whose webhooks carry only its id (BigCommerce): the store
# and the channel's order id in, the order's document out (None: the channel has no such order).
OrderDocuments = Callable[[Store, str], dict[str, Any] | None]
THIN_CHANNELS = frozenset({Channel.BIGCOMMERCE.value})


@dataclass(frozen=True, slots=True)
class IntakeResult:
    order_id: str
    outcome: str  # created | updated | touched | unchanged
    status: OrderStatus | None
    events: tuple[str, ...] = ()


class IntakeService:
    def __init__(
        self,
        shipments: Shipments,
        stores: Stores,
        locations: Locations,
        stock: StockLevels,
        variants: Variants,
        documents: OrderDocuments | None = None,
    ) -> None:
        self.shipments, self.stores, self.locations = shipments, stores, locations
        self.stock, self.variants, self.documents = stock, variants, documents

    def handle(self, message: IntakeMessage, now: datetime) -> IntakeResult:
        """One message from the intake queue: the channel's payload (or our retry) applied. A
        delivery of a channel whose webhooks carry only the order's id is applied as the order
        stands on the channel now, read when the message is handled (in its order's FIFO group)."""
        try:
            payload: Any = json.loads(message.body)
        except ValueError as exc:
            raise BadRequest("the queued body is not JSON", code="invalid_payload") from exc
        if message.channel in THIN_CHANNELS and message.topic != RETRY_TOPIC:
            payload = self._document(message)
        incoming = normalise(
            message.channel,
            message.topic,
            payload,
            store_id=message.store_id,
            received_at=parse_iso(message.received_at),
            channel_order_id=message.channel_order_id,
        )
        name = message.attributes.get("actor") or f"{message.channel}:{message.topic}"
        actor = Actor(name=name, source_event=message.event_id, at=now)
        return self.record(incoming, actor, expect_new=message.topic in CREATE_TOPICS)

    def record(
        self, incoming: IncomingOrder, actor: Actor, *, attempts: int = 4, expect_new: bool = False
    ) -> IntakeResult:
        """``expect_new`` (a create topic): try the conditional create straight away, which records
        a new order in one DynamoDB request; if it exists already the write is refused and we read."""
        order_id = order_id_of(incoming)
        store = self.stores.find(incoming.store_id)
        if store is not None and store.erased_at is not None:
            return IntakeResult(order_id, "unchanged", None)  # erased: nothing of it is taken in again
        settings = store.settings if store else StoreSettings()
        if isinstance(incoming, OrderSnapshot):
            incoming = self._identified(incoming, settings, actor)
        if expect_new and isinstance(incoming, OrderSnapshot):
            created = self._try_create(incoming, actor, store)
            if created is not None:
                return created
        for _ in range(attempts):
            existing, shipments = self._load(order_id)
            target = self._target(incoming, existing, settings, actor)
            if existing is not None and existing.redacted_at and isinstance(target, OrderSnapshot):
                target = redact_snapshot(target)  # erased data never comes back with the channel
            if target is None:
                return IntakeResult(order_id, "unchanged", existing.status if existing else None)
            context = self._context(target, shipments, store)
            context.force = isinstance(incoming, FulfilmentReported | RefundReported | RetryOrder)
            change = decide(existing, target, actor, context)
            if change is None:
                return IntakeResult(order_id, "unchanged", existing.status if existing else None)
            try:
                self._save(change, existing, target, actor, context)
            except (ConcurrentModification, StockShortage):
                continue
            return _result(change)
        raise ConcurrentModification(f"order {order_id} kept changing; the message will be retried")

    # ------------------------------------------------------------------ steps
    def _document(self, message: IntakeMessage) -> dict[str, Any] | None:
        store = self.stores.find(message.store_id)
        if store is None:
            raise BadRequest("the delivery's store is not registered", code="unknown_store")
        if self.documents is None:
            raise BadRequest(f"{message.channel} orders cannot be read here", code="unknown_channel")
        return self.documents(store, message.channel_order_id)

    def _identified(self, snapshot: OrderSnapshot, settings: StoreSettings, actor: Actor) -> OrderSnapshot:
        """Every line's stock identity decided; variants seen without a SKU recorded for staff."""
        keys = unmapped_keys(snapshot)
        mappings = self.variants.find(snapshot.store_id, keys) if keys else {}
        seen = seen_variants(snapshot, mappings, actor.at)
        if seen:
            self.variants.record_seen(seen)
        return resolve(snapshot, settings, mappings)

    def _target(
        self, incoming: IncomingOrder, existing: Order | None, settings: StoreSettings, actor: Actor
    ) -> OrderSnapshot | OrderDeleted | None:
        """What to decide the order against: the channel's snapshot, or - for a retry and for a
        fulfilment the channel reports on its own - the stored order's snapshot brought up to date."""
        if isinstance(incoming, OrderSnapshot | OrderDeleted):
            return incoming
        if existing is None:
            return None  # the order itself has not arrived yet; its own delivery will carry this
        snapshot = OrderSnapshot.model_validate(existing.model_dump(include=set(OrderSnapshot.model_fields)))
        if isinstance(incoming, FulfilmentReported):
            others = [
                f
                for f in snapshot.channel_fulfilments
                if f.fulfilment_id != incoming.fulfilment.fulfilment_id
            ]
            snapshot = snapshot.model_copy(update={"channel_fulfilments": [*others, incoming.fulfilment]})
        if isinstance(incoming, RefundReported):
            kept = [r for r in snapshot.channel_refunds if r.refund_id != incoming.refund.refund_id]
            snapshot = snapshot.model_copy(update={"channel_refunds": [*kept, incoming.refund]})
        return self._identified(snapshot, settings, actor)

    def _load(self, order_id: str) -> tuple[Order | None, list[Shipment]]:
        order, shipments = self.shipments.order_with_shipments(order_id)
        return order, shipments

    def _context(
        self, target: OrderSnapshot | OrderDeleted, shipments: list[Shipment], store: Store | None
    ) -> IntakeContext:
        settings = store.settings if store else StoreSettings()
        context = IntakeContext(
            shipments=shipments,
            take_channel_stock=settings.channel_fulfilment_stock == "take",
            settings=settings,
        )
        if isinstance(target, OrderSnapshot) and target.channel_fulfilled() and context.take_channel_stock:
            fulfilled = target.channel_fulfilled()
            skus = sorted(
                {line.stock_item for line in target.lines if line.stock_item and fulfilled.get(line.line_id)}
            )
            if skus:
                locations = self.locations.all()
                context.view = StockView(
                    locations=locations,
                    available=self.stock.available_at(skus, [loc.location_id for loc in locations]),
                    totals={sku: level.available for sku, level in self.stock.totals(skus).items()},
                    rules=rules_for(store),
                )
        return context

    def _save(
        self,
        change: FulfilmentChange,
        existing: Order | None,
        target: OrderSnapshot | OrderDeleted,
        actor: Actor,
        context: IntakeContext,
    ) -> FulfilmentChange:
        try:
            self.shipments.save(change)
            return change
        except StockShortage as short:
            context.shortage = short.short
            retry = decide(existing, target, actor, context)
            if retry is None:
                raise ConcurrentModification("nothing left to decide") from short
            self.shipments.save(retry)
            change.order, change.shipments = retry.order, retry.shipments
            return change

    def _try_create(self, snapshot: OrderSnapshot, actor: Actor, store: Store | None) -> IntakeResult | None:
        context = self._context(snapshot, [], store)
        change = decide(None, snapshot, actor, context)
        assert change is not None
        try:
            self._save(change, None, snapshot, actor, context)
        except (ConcurrentModification, StockShortage):
            return None  # it exists already (or we collided): read it and decide again
        return _result(change)


def _result(change: FulfilmentChange) -> IntakeResult:
    assert change.order is not None
    order = change.order.order
    return IntakeResult(
        order.order_id, change.order.outcome, order.status, tuple(e.type for e in change.order.events)
    )
