"""Staff cancel an order, or some units of some lines, before they leave a warehouse: pure.

A cancelled unit is recorded on the order (``cancelled_quantities``, kept over the channel's later
views of it) and taken off its line's current quantity; the order's shipments and stock then follow
through oms.order_reconciliation, exactly as when a channel edits an order: pending shipments shrink
or are cancelled (their labels voided), what the units had reserved is released. Units a packed
shipment holds must be unpacked first; units that left are for a return (409 either way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oms.domain_events import OutboxEvent
from oms.errors import Conflict, ValidationFailed
from oms.fulfilment import ShipmentChange, shipping_status
from oms.models import Note, Order, OrderSnapshot
from oms.order_changes import Actor, StockMove, transition
from oms.order_lifecycle import HOLDS_STOCK, NOT_YET_SHIPPED, OrderStatus, can_transition
from oms.order_reconciliation import ENDING, StockView, reconcile
from oms.shipments import LEFT, Shipment

# Orders some of whose units may still be cancelled.
CANCELLABLE = NOT_YET_SHIPPED | {OrderStatus.PARTIALLY_SHIPPED, OrderStatus.PARTIALLY_REFUNDED}


@dataclass
class LineState:
    """One line's units: ordered, no longer wanted (cancelled here or by the channel), shipped."""

    quantity: int
    open: int
    shipped: int

    @property
    def gone(self) -> int:
        return self.quantity - self.open

    @property
    def unsent(self) -> int:
        return max(0, self.open - self.shipped)


def line_states(order: Order, shipments: list[Shipment]) -> dict[str, LineState]:
    left = [s for s in shipments if s.status in LEFT]
    return {
        line.line_id: LineState(
            quantity=line.quantity,
            open=line.open_quantity,
            shipped=sum(s.quantity_of(line.line_id) for s in left),
        )
        for line in order.lines
    }


def keep_cancelled(snapshot: OrderSnapshot, cancelled: dict[str, int]) -> OrderSnapshot:
    """The channel's view of an order with the units staff cancelled here still cancelled (a
    channel that was not told, or not yet, reports them; one that was reports them gone already)."""
    if not cancelled:
        return snapshot
    lines = [
        line.model_copy(
            update={"current_quantity": min(line.open_quantity, line.quantity - cancelled[line.line_id])}
        )
        if cancelled.get(line.line_id)
        else line
        for line in snapshot.lines
    ]
    return snapshot.model_copy(update={"lines": lines})


@dataclass
class Cancelled:
    """What cancelling units did: the order (not yet versioned), its moves and shipment changes."""

    order: Order
    moves: list[StockMove] = field(default_factory=list)
    shipments: list[ShipmentChange] = field(default_factory=list)
    events: list[OutboxEvent] = field(default_factory=list)
    units: dict[str, int] = field(default_factory=dict)  # line -> units cancelled now


def cancel_units(
    order: Order, shipments: list[Shipment], units: dict[str, int], actor: Actor, *, view: StockView, why: str
) -> Cancelled:
    """Take ``units`` (line -> quantity, each within what has not shipped) off the order; returns
    the order with its reservation and shipments following. Raises 409 when a packed shipment holds
    some of them."""
    units = {line_id: n for line_id, n in units.items() if n > 0}
    if not units:
        return Cancelled(order=order)
    cancelled = dict(order.cancelled_quantities)
    lines = []
    for line in order.lines:
        n = units.get(line.line_id, 0)
        if n:
            cancelled[line.line_id] = cancelled.get(line.line_id, 0) + n
            line = line.model_copy(update={"current_quantity": line.open_quantity - n})
        lines.append(line)
    updated = order.model_copy(
        update={"lines": lines, "cancelled_quantities": cancelled, "updated_at": actor.at}
    )
    return follow_lines(updated, shipments, units, actor, view=view, why=why)


def follow_lines(
    updated: Order,
    shipments: list[Shipment],
    units: dict[str, int],
    actor: Actor,
    *,
    view: StockView,
    why: str,
) -> Cancelled:
    """The order's shipments, stock and status after staff changed its lines (``updated``): what
    is no longer wanted comes out of pending shipments and is released, what is new is reserved
    (oms.order_reconciliation); 409 when a packed shipment holds what changed."""
    lines = updated.lines
    ending = not any(line.ships and line.open_quantity > 0 for line in lines) or updated.status in ENDING
    wants = updated.status in HOLDS_STOCK or (
        updated.status == OrderStatus.ON_HOLD and updated.reservation.holds_stock
    )
    rec = reconcile(
        updated, shipments, wants_stock=wants, take_stock=True, view=view, actor=actor, ending=ending
    )
    if rec.attention:
        raise Conflict(
            "; ".join(rec.attention)[:1000],
            code="shipment_packed",
            details=[{"reason": a} for a in rec.attention],
        )
    result = rec.order.model_copy(
        update={
            "notes": [
                *rec.order.notes,
                *(Note(at=actor.at, author=actor.name, text=n[:500]) for n in rec.notes),
            ]
        }
    )
    done = Cancelled(order=result, moves=rec.moves, shipments=rec.shipments, units=units)
    after = _after(shipments, rec.shipments)
    shipping_lines = [line for line in lines if line.ships and line.open_quantity > 0]
    if not shipping_lines and not any(s.status in LEFT for s in after):
        if can_transition(result.status, OrderStatus.CANCELLED):
            done.order, event = transition(result, OrderStatus.CANCELLED, actor, reason=why)
            done.events.append(event)
    elif result.status in (OrderStatus.FULFILLING, OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED):
        target = shipping_status(result, after)
        if target != result.status and can_transition(result.status, target):
            done.order, event = transition(result, target, actor, reason=f"{why}: the rest has shipped")
            done.events.append(event)
            if target == OrderStatus.DELIVERED:
                done.order = done.order.model_copy(update={"delivered_at": actor.at})
    return done


def _after(shipments: list[Shipment], changes: list[ShipmentChange]) -> list[Shipment]:
    by_id = {s.shipment_id: s for s in shipments}
    for change in changes:
        by_id[change.shipment.shipment_id] = change.shipment
    return list(by_id.values())


def units_to_cancel(
    order: Order, shipments: list[Shipment], lines: list[tuple[str, int | None]] | None
) -> dict[str, int]:
    """The units a cancel request names (None: the whole order; a quantity None: all of the line
    that has not shipped), checked against what has not left: 409 for shipped units, 422 for a
    line the order does not have. Cancelling what is already cancelled asks for nothing."""
    if order.status not in CANCELLABLE and order.status not in ENDING:
        raise Conflict(
            f"order {order.order_id} is {order.status.value}: what shipped comes back through a return",
            code="order_already_shipped",
        )
    states = line_states(order, shipments)
    if lines is None:
        if any(s.shipped for s in states.values()):
            raise Conflict(
                f"order {order.order_id} has partly shipped: cancel the lines that have not"
                " (lines: [...]); what shipped comes back through a return",
                code="order_partly_shipped",
            )
        return {line_id: s.unsent for line_id, s in states.items() if s.unsent}
    wanted: dict[str, int] = {}
    for i, (line_id, quantity) in enumerate(lines):
        state = states.get(line_id)
        if state is None:
            raise ValidationFailed(
                f"order {order.order_id} has no line {line_id!r}",
                code="unknown_line",
                details=[{"field": f"lines[{i}].line_id", "line_id": line_id}],
            )
        if line_id in wanted:
            raise ValidationFailed(
                f"line {line_id} is named twice", code="duplicate_line", details=[{"field": f"lines[{i}]"}]
            )
        n = state.unsent if quantity is None else quantity
        if n > state.unsent:
            raise Conflict(
                f"line {line_id} has {state.unsent} unit(s) that have not shipped; {n} asked"
                + (": what shipped comes back through a return" if state.shipped else ""),
                code="quantity_exceeds_unshipped",
                details=[
                    {"field": f"lines[{i}].quantity", "unshipped": state.unsent, "shipped": state.shipped}
                ],
            )
        wanted[line_id] = n
    return wanted
