"""What a channel delivery means for the stored order: pure.

``decide`` takes the stored order (or None), its shipments and what the channel now says, and
returns the change to commit: the order's new state, its stock moves and events, and what happens
to its shipments (oms.order_reconciliation) - or None when there is nothing to do (a duplicate, a
stale update). The intake service (oms.services.intake_service) runs it with optimistic
concurrency and the out-of-stock fallback.

What the channel's payment and cancellation state asks for:

- paid, authorized: reserve every line that needs stock; ``confirmed``, or ``on_hold``
  (``out_of_stock`` / ``unknown_sku``) with the short lines and nothing reserved - except for an
  order that ships what is available (oms.backorders): what the stock lacks is backordered and the
  rest reserved and confirmed, unless nothing of it could ship;
- pending: ``awaiting_payment``; confirmed by a later paid update;
- partially paid, or a status we do not know: ``on_hold`` (``payment_review``);
- voided, failed, cancelled, deleted: ``cancelled``, its stock released, pending shipments cancelled;
- refunded / partially refunded: ``refunded`` (likewise) / ``partially_refunded``.

Whatever the status, the channel's lines and its own fulfilments are reconciled with the order's
shipments and stock (oms.order_reconciliation); a confirmed order then moves with its shipments
(nothing to ship: delivered at once; everything fulfilled by the channel: shipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oms.backorders import backorder_changes, backorder_for, ships_something, waiting_skus
from oms.channels.incoming import OrderDeleted
from oms.customer_choices import follow_offer
from oms.domain_events import backorder_event, order_updated_event
from oms.fulfilment import FulfilmentChange, ShipmentChange, finish, shipping_status
from oms.models import Hold, Note, Order, OrderSnapshot, PaymentStatus, ShortLine, StoreSettings
from oms.observability import logger
from oms.order_changes import Actor, Intent, OrderChange, content_changes, hold_for, new_order, transition
from oms.order_edits import keep_staff_changes
from oms.order_lifecycle import HOLDS_STOCK, HoldReason, OrderStatus, can_transition
from oms.order_reconciliation import ENDING, Reconciliation, StockView, reconcile
from oms.refunds import noted, record_channel_refunds
from oms.shipments import Shipment

# Holds a later delivery retries (the channel may have fixed the payment, the stock may be back).
RETRY_HOLDS = frozenset(
    {HoldReason.PAYMENT_REVIEW, HoldReason.OUT_OF_STOCK, HoldReason.UNKNOWN_SKU, HoldReason.MANUAL}
)
# Holds that keep the order's stock reserved while a person decides.
RESERVED_HOLDS = frozenset({HoldReason.NO_FULFILMENT_LOCATION, HoldReason.MANUAL})
_BEFORE_STOCK = frozenset({OrderStatus.PLACED, OrderStatus.AWAITING_PAYMENT})


@dataclass
class IntakeContext:
    """What deciding needs beyond the order: its shipments, the store's choice about stock the
    channel fulfilled, the stock view for such units, and the shortage a refused write reported."""

    shipments: list[Shipment] = field(default_factory=list)
    take_channel_stock: bool = True
    view: StockView = field(default_factory=StockView)
    shortage: list[ShortLine] | None = None
    force: bool = False  # decide again even if the channel said nothing new (a retry)
    settings: StoreSettings = field(default_factory=StoreSettings)  # backorders, customer choices


def intents(snapshot: OrderSnapshot) -> list[Intent]:
    """What the channel's payment and cancellation state asks of the order."""
    p = snapshot.payment_status
    if snapshot.cancelled:
        return [Intent.CANCEL, Intent.REFUND] if p == PaymentStatus.REFUNDED else [Intent.CANCEL]
    if p in (PaymentStatus.VOIDED, PaymentStatus.FAILED):
        return [Intent.CANCEL]
    if p == PaymentStatus.REFUNDED:
        return [Intent.REFUND]
    if p == PaymentStatus.PARTIALLY_REFUNDED:
        return [Intent.CONFIRM, Intent.PARTIAL_REFUND]
    if p in (PaymentStatus.PAID, PaymentStatus.AUTHORIZED):
        return [Intent.CONFIRM]
    if p == PaymentStatus.PENDING:
        return [Intent.AWAIT_PAYMENT]
    return [Intent.REVIEW]  # partially paid, or a state we do not know: a person decides


@dataclass
class _Draft:
    order: Order
    change: OrderChange
    confirming: bool = False  # the payment allows it: reserve and confirm

    def move(self, to: OrderStatus, actor: Actor, *, reason: str, hold: Hold | None = None) -> None:
        self.order, event = transition(self.order, to, actor, reason=reason, hold=hold)
        self.change.events.append(event)


def _may_reserve(order: Order) -> bool:
    """Whether an order not yet holding stock may try to now."""
    if order.status in _BEFORE_STOCK:
        return True
    return order.status == OrderStatus.ON_HOLD and order.hold is not None and order.hold.reason in RETRY_HOLDS


def _apply(draft: _Draft, intent: Intent, snapshot: OrderSnapshot, actor: Actor) -> None:
    status = draft.order.status
    if intent == Intent.CONFIRM:
        draft.confirming = _may_reserve(draft.order)
    elif intent == Intent.AWAIT_PAYMENT:
        if status == OrderStatus.PLACED:
            draft.move(OrderStatus.AWAITING_PAYMENT, actor, reason=f"payment {snapshot.payment_status.value}")
    elif intent == Intent.REVIEW:
        if status in _BEFORE_STOCK:
            hold = Hold(
                reason=HoldReason.PAYMENT_REVIEW,
                note=f"payment {snapshot.payment_status.value}: released when the channel reports it paid",
            )
            draft.move(OrderStatus.ON_HOLD, actor, reason=HoldReason.PAYMENT_REVIEW.value, hold=hold)
    else:
        target = {
            Intent.CANCEL: OrderStatus.CANCELLED,
            Intent.REFUND: OrderStatus.REFUNDED,
            Intent.PARTIAL_REFUND: OrderStatus.PARTIALLY_REFUNDED,
        }[intent]
        if status == target:
            return
        if not can_transition(status, target):
            logger.warning(
                "channel asks for a transition the lifecycle forbids; order left as it is",
                extra={"from_status": status.value, "to_status": target.value},
            )
            return
        reason = snapshot.cancel_reason or (
            "cancelled in channel" if intent == Intent.CANCEL else f"payment {snapshot.payment_status.value}"
        )
        draft.move(target, actor, reason=reason)


def _wants_stock(draft: _Draft) -> bool:
    order = draft.order
    if draft.confirming or order.status in HOLDS_STOCK:
        return True
    return order.status == OrderStatus.ON_HOLD and (
        order.reservation.holds_stock or (order.hold is not None and order.hold.reason in RESERVED_HOLDS)
    )


_MOVES_WITH_SHIPMENTS = frozenset(
    {OrderStatus.CONFIRMED, OrderStatus.FULFILLING, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED}
)


def _follow_shipments(draft: _Draft, shipments: list[Shipment], actor: Actor) -> None:
    if draft.order.status not in _MOVES_WITH_SHIPMENTS:
        return
    target = shipping_status(draft.order, shipments)
    if target == draft.order.status or not can_transition(draft.order.status, target):
        return
    reasons = {
        OrderStatus.DELIVERED: "nothing to ship" if not shipments else "delivered, as the channel reports",
        OrderStatus.SHIPPED: "fulfilled in the channel",
        OrderStatus.PARTIALLY_SHIPPED: "partly fulfilled in the channel",
    }
    draft.move(target, actor, reason=reasons.get(target, "shipments changed"))
    if target == OrderStatus.DELIVERED:
        draft.order = draft.order.model_copy(update={"delivered_at": actor.at})


def decide(
    existing: Order | None,
    incoming: OrderSnapshot | OrderDeleted,
    actor: Actor,
    context: IntakeContext | None = None,
) -> FulfilmentChange | None:
    """The change the incoming channel state asks for, or None when there is nothing to do."""
    ctx = context or IntakeContext()
    if isinstance(incoming, OrderDeleted):
        if existing is None or not can_transition(existing.status, OrderStatus.CANCELLED):
            return None
        draft = _Draft(existing, OrderChange(order=existing, expected_version=existing.version))
        base = draft.order
        draft.move(OrderStatus.CANCELLED, actor, reason="deleted in channel")
        return _stock_and_shipments(draft, existing, ctx, actor, changed=[], base=base)

    snapshot = incoming if existing is None else keep_staff_changes(incoming, existing)
    if existing is None:
        order, events = new_order(snapshot, actor)
        if ctx.settings.backorders == "ship_available":  # the store's rule when it was placed
            order = order.model_copy(update={"ship_available": True})
        draft = _Draft(
            order, OrderChange(order=order, expected_version=None, events=events, outcome="created")
        )
        changed: list[str] = []
    else:
        if snapshot.channel_updated_at < existing.channel_updated_at:
            return None  # older than what we have: a late or re-ordered delivery
        changed = content_changes(existing, snapshot)
        same_state = snapshot.model_dump(mode="json", include=set(OrderSnapshot.model_fields)) == (
            existing.model_dump(mode="json", include=set(OrderSnapshot.model_fields))
        )
        duplicate = snapshot.channel_updated_at == existing.channel_updated_at and same_state
        if duplicate and ctx.shortage is None and not ctx.force:
            return None  # the same delivery again
        updated = existing.model_copy(update={**dict(snapshot), "updated_at": actor.at})
        draft = _Draft(updated, OrderChange(order=updated, expected_version=existing.version))

    base = draft.order
    for intent in intents(snapshot):
        _apply(draft, intent, snapshot, actor)
    return _stock_and_shipments(draft, existing, ctx, actor, changed=changed, base=base)


def _stock_and_shipments(
    draft: _Draft,
    existing: Order | None,
    ctx: IntakeContext,
    actor: Actor,
    *,
    changed: list[str],
    base: Order,
) -> FulfilmentChange | None:
    wants = _wants_stock(draft)
    was_waiting = bool(waiting_skus(base))
    backordered_before = dict(draft.order.backordered)
    # Ship what is available (the store's rule when the order was placed, the customer's choice, or
    # lines already backordered):
    # decide from nothing backordered, so whatever stock has come is reserved now.
    partial = draft.order.ship_available or bool(backordered_before)
    if partial and wants and backordered_before:
        draft.order = draft.order.model_copy(update={"backordered": {}})
    rec = _reconcile(draft.order, ctx, actor, wants_stock=wants)
    if rec.attention and draft.order.status in ENDING and base.status not in ENDING:
        # Cancelled or refunded in the channel while the warehouse holds a packed parcel of it: the
        # order stops on hold instead (the warehouse decides); once they unpack it, it follows the
        # channel. What can be undone without them (pending shipments, free stock) is undone now.
        draft.order = base.model_copy(update={"payment_status": draft.order.payment_status})
        draft.change.events = [e for e in draft.change.events if e.type == "OrderPlaced"]
        draft.confirming = False
        rec = _reconcile(draft.order, ctx, actor, wants_stock=False, ending=True)
    stock_short = (ctx.shortage or []) if rec.reserving else []
    if stock_short and partial and wants and not rec.unidentified:
        rec, stock_short = _backorder_short(draft, ctx, rec, stock_short, actor)
    short = rec.unidentified + stock_short
    if short:
        # All or nothing: reserve none of what it still needs (what shipments carry stays).
        rec = _reconcile(draft.order, ctx, actor, wants_stock=False)
    draft.order = rec.order.model_copy(update={"notes": draft.order.notes + _notes(rec.notes, actor)})
    shipments = _after(ctx.shipments, rec.shipments)
    draft.order, restocks, refund_events = record_channel_refunds(draft.order, shipments, actor)
    draft.change.moves = rec.moves + restocks
    draft.change.events += refund_events
    _settle_status(draft, short, rec.attention, base, shipments, actor)
    _backorder_events(draft, backordered_before, actor, reserved=bool(rec.reserving))
    draft.order = follow_offer(draft.order, ctx.settings, was_waiting=was_waiting, at=actor.at)
    change = FulfilmentChange(order=draft.change, shipments=rec.shipments)
    draft.change.order = draft.order
    if existing is not None and changed and not draft.change.events:
        draft.change.events.append(order_updated_event(draft.order, changed, actor.at))
    quiet = not draft.change.events and not draft.change.moves and not changed and not rec.shipments
    if existing is not None and quiet:
        draft.change.outcome = "touched"  # newer timestamp, same content: remember it only
    return finish(change)


def _reconcile(
    order: Order, ctx: IntakeContext, actor: Actor, *, wants_stock: bool, ending: bool | None = None
) -> Reconciliation:
    return reconcile(
        order,
        ctx.shipments,
        wants_stock=wants_stock,
        take_stock=ctx.take_channel_stock,
        view=ctx.view,
        actor=actor,
        ending=ending,
    )


def _settle_status(
    draft: _Draft,
    short: list[ShortLine],
    attention: list[str],
    base: Order,
    shipments: list[Shipment],
    actor: Actor,
) -> None:
    """On hold for what it is short of, or for staff; else confirmed and moving with its shipments."""
    if short:
        hold = hold_for(short)
        hold = hold.model_copy(update={"note": _release_note(hold, draft.order)})
        if not (draft.order.status == OrderStatus.ON_HOLD and draft.order.hold == hold):
            draft.move(OrderStatus.ON_HOLD, actor, reason=hold.reason.value, hold=hold)
    elif attention and can_transition(draft.order.status, OrderStatus.ON_HOLD):
        hold = Hold(reason=HoldReason.MANUAL, note="; ".join(attention)[:2000])
        if not (draft.order.status == OrderStatus.ON_HOLD and draft.order.hold == hold):
            draft.move(
                OrderStatus.ON_HOLD, actor, reason="the channel changed lines the warehouse holds", hold=hold
            )
    else:
        if draft.confirming:
            held = base.hold.reason.value if base.status == OrderStatus.ON_HOLD and base.hold else None
            reason = f"{held} resolved" if held else f"payment {draft.order.payment_status.value}"
            draft.move(OrderStatus.CONFIRMED, actor, reason=reason)
        _follow_shipments(draft, shipments, actor)


def _backorder_short(
    draft: _Draft, ctx: IntakeContext, rec: Reconciliation, short: list[ShortLine], actor: Actor
) -> tuple[Reconciliation, list[ShortLine]]:
    """Shipping what is available: the units the stock lacks are backordered and the rest is
    reserved - unless nothing of the order would ship, which then waits whole (still short)."""
    waiting = backorder_for(draft.order, ctx.shipments, short)
    if waiting is None or not ships_something(draft.order, waiting):
        return rec, short
    draft.order = draft.order.model_copy(update={"backordered": waiting})
    return _reconcile(draft.order, ctx, actor, wants_stock=True), []


def _backorder_events(draft: _Draft, before: dict[str, int], actor: Actor, *, reserved: bool) -> None:
    """LinesBackordered for units that now wait, BackorderFilled for units reserved after waiting
    (the order's reservation grew), each with its timeline entry."""
    added, ended = backorder_changes(before, draft.order.backordered)
    filled = ended if reserved and draft.order.status not in ENDING else {}
    for kind, units, words in (
        ("LinesBackordered", added, "backordered (ships when stock arrives)"),
        ("BackorderFilled", filled, "back in stock: reserved to ship"),
    ):
        if not units:
            continue
        names = ", ".join(
            f"{n} x {line.name if (line := draft.order.line(k)) else k}" for k, n in units.items()
        )
        draft.order = noted(draft.order, f"{names} {words}", actor)
        draft.change.events.append(backorder_event(kind, draft.order, units, actor.at))


def _after(shipments: list[Shipment], changes: list[ShipmentChange]) -> list[Shipment]:
    by_id = {s.shipment_id: s for s in shipments}
    for change in changes:
        by_id[change.shipment.shipment_id] = change.shipment
    return list(by_id.values())


def _notes(facts: list[str], actor: Actor) -> list[Note]:
    return [Note(at=actor.at, author=actor.name, text=fact[:500]) for fact in facts]


def _release_note(hold: Hold, order: Order) -> str:
    """How the hold will be released (said on the order, in its alert and in the API)."""
    retry = f"POST /orders/{order.order_id}/retry"
    if hold.reason == HoldReason.UNKNOWN_SKU:
        keys = sorted({s.variant_key for s in hold.short_lines if s.variant_key})
        unknown = sorted({s.sku for s in hold.short_lines if s.sku})
        parts = []
        if keys:
            parts.append(
                f"lines with no SKU: map them (PUT /stores/{order.store_id}/variants/{{key}}"
                f" for {', '.join(keys)})"
            )
        if unknown:
            parts.append(
                f"SKUs we hold no stock for ({', '.join(unknown)}): count them in (PUT /stock/{{sku}})"
            )
        return "; ".join(parts) + f"; then {retry}, or the channel's next update, releases it"
    return (
        "short of stock: released by itself when the stock is counted in (PUT /stock/{sku};"
        f" oldest held orders first), or by {retry} or the channel's next update"
    )
