"""The order aggregate: creating orders and moving them through the lifecycle.

Every change is a pure function from the current order to an :class:`OrderChange` (the new order,
the stock moves that must commit with it, the events it emits); the data layer commits a change
atomically or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from oms.domain_events import OutboxEvent, order_transition_event
from oms.intake_message import IntakeMessage, retry_message
from oms.models import Hold, Order, OrderSnapshot, Reservation, ShortLine, TimelineEntry
from oms.order_lifecycle import HoldReason, OrderStatus, check_transition
from oms.timeutil import iso


class MoveKind(StrEnum):
    RESERVE = "reserve"  # SKU total: available -> reserved
    RELEASE = "release"  # SKU total: reserved -> available
    ALLOCATE = "allocate"  # location: available -> reserved for a shipment
    DEALLOCATE = "deallocate"  # location: reserved -> available
    COMMIT = "commit"  # shipped: on hand and reserved both go down (SKU total, or a location)
    TAKE = "take"  # left without a reservation (a sale the channel fulfilled): on hand and available down
    RESTOCK = "restock"  # back on the shelf: on hand and available up


@dataclass(frozen=True, slots=True)
class StockMove:
    sku: str
    quantity: int
    kind: MoveKind
    location: str | None = None


def freed_skus(moves: list[StockMove]) -> list[str]:
    """SKUs of which more is available after these moves (released, or back on hand)."""
    return sorted(
        {m.sku for m in moves if m.location is None and m.kind in (MoveKind.RELEASE, MoveKind.RESTOCK)}
    )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who or what caused a change, and the event it came from (for the timeline)."""

    name: str
    source_event: str | None
    at: datetime


@dataclass
class OrderChange:
    order: Order
    expected_version: int | None  # None: the order must not exist yet
    moves: list[StockMove] = field(default_factory=list)
    events: list[OutboxEvent] = field(default_factory=list)
    outcome: str = "updated"

    @property
    def reserving(self) -> dict[str, int]:
        return {m.sku: m.quantity for m in self.moves if m.kind == MoveKind.RESERVE}


def new_order(snapshot: OrderSnapshot, actor: Actor) -> tuple[Order, list[OutboxEvent]]:
    entry = TimelineEntry(
        at=actor.at,
        from_status=None,
        to_status=OrderStatus.PLACED,
        reason=f"received from {snapshot.channel}",
        actor=actor.name,
        source_event=actor.source_event,
    )
    order = Order(
        **dict(snapshot),  # already-validated parts are taken as they are, not dumped and re-read
        order_id=snapshot.derive_order_id(),
        status=OrderStatus.PLACED,
        timeline=[entry],
        created_at=actor.at,
        updated_at=actor.at,
    )
    return order, [order_transition_event(order, entry)]


def transition(
    order: Order,
    to: OrderStatus,
    actor: Actor,
    *,
    reason: str | None = None,
    hold: Hold | None = None,
) -> tuple[Order, OutboxEvent]:
    """Move ``order`` to ``to`` (raising IllegalTransition otherwise), appending to its timeline."""
    check_transition(order.status, to)
    entry = TimelineEntry(
        at=actor.at,
        from_status=order.status,
        to_status=to,
        reason=reason,
        actor=actor.name,
        source_event=actor.source_event,
    )
    moved = order.model_copy(
        update={
            "status": to,
            "hold": hold if to == OrderStatus.ON_HOLD else None,
            "timeline": [*order.timeline, entry],
            "updated_at": actor.at,
        }
    )
    return moved, order_transition_event(moved, entry)


def release_all(order: Order) -> tuple[Reservation, list[StockMove]]:
    """Give back everything the order holds and has not shipped (SKU totals and locations)."""
    moves = [
        StockMove(sku, qty, MoveKind.RELEASE)
        for sku, qty in sorted(order.reservation.reserved.items())
        if qty
    ]
    for location, lines in sorted(order.reservation.allocated.items()):
        moves += [
            StockMove(sku, qty, MoveKind.DEALLOCATE, location) for sku, qty in sorted(lines.items()) if qty
        ]
    return Reservation(committed=dict(order.reservation.committed)), moves


def reserve_delta(order: Order, wanted: dict[str, int]) -> tuple[Reservation, list[StockMove]]:
    """Moves that take the order's SKU-level reservation from what it holds to ``wanted``."""
    held = order.reservation.reserved
    moves: list[StockMove] = []
    for sku in sorted(set(held) | set(wanted)):
        diff = wanted.get(sku, 0) - held.get(sku, 0)
        if diff > 0:
            moves.append(StockMove(sku, diff, MoveKind.RESERVE))
        elif diff < 0:
            moves.append(StockMove(sku, -diff, MoveKind.RELEASE))
    reserved = {sku: qty for sku, qty in wanted.items() if qty}
    return order.reservation.model_copy(update={"reserved": reserved}), moves


def hold_for(short: list[ShortLine]) -> Hold:
    unknown = any(line.available is None for line in short)
    return Hold(reason=HoldReason.UNKNOWN_SKU if unknown else HoldReason.OUT_OF_STOCK, short_lines=short)


class Intent(StrEnum):
    CONFIRM = "confirm"
    AWAIT_PAYMENT = "await_payment"
    REVIEW = "review"
    CANCEL = "cancel"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"


def content_changes(old: OrderSnapshot, new: OrderSnapshot) -> list[str]:
    a, b = old.content(), new.content()
    ignore = {"channel_updated_at", "channel_status", "payment_status", "cancelled", "cancel_reason"}
    return sorted(k for k in b if k not in ignore and a.get(k) != b.get(k))


def retry_for(order: Order, actor: Actor, event_id: str | None = None) -> IntakeMessage:
    """The intake message that decides ``order`` again (its id, by default, names the version it
    was asked on, so the same request queues it once)."""
    return retry_message(
        channel=order.channel.value,
        store_id=order.store_id,
        channel_order_id=order.channel_order_id,
        event_id=event_id or f"retry:{order.order_id}:{order.version}",
        actor=actor.name,
        received_at=iso(actor.at),
    )
