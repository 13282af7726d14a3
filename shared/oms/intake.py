"""Recording channel orders: the intake consumer's domain.

``decide`` is pure: given the stored order (or None) and what the channel now says, it returns the
change to commit (or None when there is nothing to do: a duplicate or a stale update). ``record``
runs it against a repository, with optimistic concurrency and the out-of-stock fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from oms.channels.incoming import IncomingOrder, OrderDeleted
from oms.domain_events import numbered, order_updated_event
from oms.errors import ConcurrentModification, StockShortage
from oms.identifiers import order_id_for
from oms.models import Hold, Order, OrderSnapshot, PaymentStatus, ShortLine
from oms.observability import logger
from oms.order_changes import (
    Actor,
    Intent,
    OrderChange,
    content_changes,
    hold_for,
    new_order,
    release_all,
    reserve_delta,
    transition,
)
from oms.order_lifecycle import HoldReason, OrderStatus, can_transition
from oms.stock import MAX_SKUS_PER_RESERVATION




class Orders(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def save(self, change: OrderChange) -> None:
        """Commit atomically; raise StockShortage or ConcurrentModification and change nothing."""
        ...


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


_RETRY_HOLDS = {HoldReason.PAYMENT_REVIEW, HoldReason.OUT_OF_STOCK, HoldReason.UNKNOWN_SKU, HoldReason.MANUAL}


@dataclass
class _Draft:
    order: Order
    change: OrderChange


def _move(draft: _Draft, to: OrderStatus, actor: Actor, *, reason: str, hold: Hold | None = None) -> None:
    draft.order, event = transition(draft.order, to, actor, reason=reason, hold=hold)
    draft.change.events.append(event)


def _release(draft: _Draft) -> None:
    reservation, moves = release_all(draft.order)
    draft.order = draft.order.model_copy(update={"reservation": reservation})
    draft.change.moves += moves


def _confirm(draft: _Draft, snapshot: OrderSnapshot, actor: Actor, shortage: list[ShortLine] | None) -> None:
    order = draft.order
    wanted = snapshot.stock_lines()
    unknown = [ShortLine(sku=None, requested=qty) for sku, qty in wanted.items() if sku is None]
    short = unknown or shortage
    can_reserve = order.status in (OrderStatus.PLACED, OrderStatus.AWAITING_PAYMENT) or (
        order.status == OrderStatus.ON_HOLD and order.hold is not None and order.hold.reason in _RETRY_HOLDS
    )
    if order.status == OrderStatus.CONFIRMED and not short:
        # An edit of a confirmed order: move the reservation to the new lines.
        reservation, moves = reserve_delta(order, {k: v for k, v in wanted.items() if k is not None})
        draft.order = order.model_copy(update={"reservation": reservation})
        draft.change.moves += moves
        return
    if order.status == OrderStatus.CONFIRMED and short:
        can_reserve = True
    if not can_reserve:
        return
    known = [sku for sku in wanted if sku is not None]
    if not short and len(known) > MAX_SKUS_PER_RESERVATION:
        # More SKUs than one atomic reservation can hold: nothing is reserved; a person decides.
        hold = Hold(
            reason=HoldReason.MANUAL,
            note=(
                f"{len(known)} different SKUs: more than the {MAX_SKUS_PER_RESERVATION} one atomic"
                " reservation can hold; split the order or reserve it by hand"
            ),
        )
        if order.status != OrderStatus.ON_HOLD or order.hold != hold:
            _release(draft)
            _move(draft, OrderStatus.ON_HOLD, actor, reason="too_many_skus", hold=hold)
        return
    if short:
        hold = hold_for(short)
        if order.status == OrderStatus.ON_HOLD and order.hold == hold:
            return  # still short of the same lines: nothing new to say
        _release(draft)
        _move(draft, OrderStatus.ON_HOLD, actor, reason=hold.reason.value, hold=hold)
        return
    reservation, moves = reserve_delta(draft.order, {k: v for k, v in wanted.items() if k is not None})
    draft.order = draft.order.model_copy(update={"reservation": reservation})
    draft.change.moves += moves
    _move(draft, OrderStatus.CONFIRMED, actor, reason=f"payment {snapshot.payment_status.value}")


def _apply(
    draft: _Draft, intent: Intent, snapshot: OrderSnapshot, actor: Actor, shortage: list[ShortLine] | None
) -> None:
    status = draft.order.status
    if intent == Intent.CONFIRM:
        _confirm(draft, snapshot, actor, shortage)
    elif intent == Intent.AWAIT_PAYMENT:
        if status == OrderStatus.PLACED:
            _move(
                draft, OrderStatus.AWAITING_PAYMENT, actor, reason=f"payment {snapshot.payment_status.value}"
            )
    elif intent == Intent.REVIEW:
        if status in (OrderStatus.PLACED, OrderStatus.AWAITING_PAYMENT):
            hold = Hold(reason=HoldReason.PAYMENT_REVIEW, note=f"payment {snapshot.payment_status.value}")
            _move(draft, OrderStatus.ON_HOLD, actor, reason=HoldReason.PAYMENT_REVIEW.value, hold=hold)
    elif intent in (Intent.CANCEL, Intent.REFUND, Intent.PARTIAL_REFUND):
        target = {
            Intent.CANCEL: OrderStatus.CANCELLED,
            Intent.REFUND: OrderStatus.REFUNDED,
            Intent.PARTIAL_REFUND: OrderStatus.PARTIALLY_REFUNDED,
        }[intent]
        if status == target and target != OrderStatus.PARTIALLY_REFUNDED:
            return
        if status == OrderStatus.PARTIALLY_REFUNDED and target == OrderStatus.PARTIALLY_REFUNDED:
            return
        if not can_transition(status, target):
            logger.warning(
                "channel asks for a transition the lifecycle forbids; order left as it is",
                extra={"from_status": status.value, "to_status": target.value},
            )
            return
        if target in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            _release(draft)
        reason = snapshot.cancel_reason or (
            "cancelled in channel" if intent == Intent.CANCEL else f"payment {snapshot.payment_status.value}"
        )
        _move(draft, target, actor, reason=reason)


def decide(
    existing: Order | None,
    incoming: IncomingOrder,
    actor: Actor,
    *,
    shortage: list[ShortLine] | None = None,
) -> OrderChange | None:
    """The change the incoming channel state asks for, or None when there is nothing to do."""
    if isinstance(incoming, OrderDeleted):
        if existing is None or not can_transition(existing.status, OrderStatus.CANCELLED):
            return None
        draft = _Draft(existing, OrderChange(order=existing, expected_version=existing.version))
        _release(draft)
        _move(draft, OrderStatus.CANCELLED, actor, reason="deleted in channel")
        return _finish(draft, existing)

    snapshot = incoming
    if existing is None:
        order, events = new_order(snapshot, actor)
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
        if snapshot.channel_updated_at == existing.channel_updated_at and same_state and shortage is None:
            return None  # the same delivery again
        updated = existing.model_copy(update={**dict(snapshot), "updated_at": actor.at})
        draft = _Draft(updated, OrderChange(order=updated, expected_version=existing.version))

    for intent in intents(snapshot):
        _apply(draft, intent, snapshot, actor, shortage)

    if existing is not None and changed and not draft.change.events:
        draft.change.events.append(order_updated_event(draft.order, changed, actor.at))
    if existing is not None and not draft.change.events and not draft.change.moves and not changed:
        # Newer timestamp, same content and no transition: remember the timestamp only.
        draft.change.outcome = "touched"
    return _finish(draft, existing)


def _finish(draft: _Draft, existing: Order | None) -> OrderChange:
    version = (existing.version if existing else 0) + 1
    draft.order = draft.order.model_copy(update={"version": version})
    draft.change.order = draft.order
    draft.change.events = numbered(draft.change.events, f"{draft.order.order_id}:{version}")
    return draft.change


@dataclass(frozen=True, slots=True)
class IntakeResult:
    order_id: str
    outcome: str  # created | updated | touched | unchanged
    status: OrderStatus | None
    events: tuple[str, ...] = ()


def _try_create(snapshot: OrderSnapshot, actor: Actor, orders: Orders) -> IntakeResult | None:
    change = decide(None, snapshot, actor)
    assert change is not None
    try:
        orders.save(change)
    except StockShortage as short:
        change = decide(None, snapshot, actor, shortage=short.short)
        assert change is not None
        try:
            orders.save(change)
        except (ConcurrentModification, StockShortage):
            return None
    except ConcurrentModification:
        return None  # it exists already (or we collided): read it and decide again
    return IntakeResult(
        change.order.order_id, change.outcome, change.order.status, tuple(e.type for e in change.events)
    )


def order_id_of(incoming: IncomingOrder) -> str:
    if isinstance(incoming, OrderDeleted):
        return order_id_for(incoming.store_id, incoming.channel_order_id)
    return incoming.derive_order_id()


def record(
    incoming: IncomingOrder,
    actor: Actor,
    orders: Orders,
    *,
    attempts: int = 4,
    expect_new: bool = False,
) -> IntakeResult:
    """Apply one channel delivery to its order, exactly once, however often it is delivered.

    ``expect_new`` (a create topic): try the conditional create straight away, which records a new
    order in one DynamoDB request; if the order already exists the write is refused and we read it.
    """
    order_id = order_id_of(incoming)
    if expect_new and not isinstance(incoming, OrderDeleted):
        created = _try_create(incoming, actor, orders)
        if created is not None:
            return created
    for _ in range(attempts):
        existing = orders.get(order_id)
        change = decide(existing, incoming, actor)
        if change is None:
            return IntakeResult(order_id, "unchanged", existing.status if existing else None)
        try:
            orders.save(change)
        except StockShortage as short:
            change = decide(existing, incoming, actor, shortage=short.short)
            if change is None:
                return IntakeResult(order_id, "unchanged", existing.status if existing else None)
            try:
                orders.save(change)
            except (ConcurrentModification, StockShortage):
                continue
        except ConcurrentModification:
            continue
        return IntakeResult(
            order_id, change.outcome, change.order.status, tuple(e.type for e in change.events)
        )
    raise ConcurrentModification(f"order {order_id} kept changing; the message will be retried")
