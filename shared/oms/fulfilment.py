"""Fulfilment: from a confirmed order to shipments that leave, in changes the data layer commits
atomically (the order, its shipments and their stock moves in one transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oms.allocation import AllocationRules, allocate, rank
from oms.domain_events import SOURCE_SHIPMENTS, EventLine, OutboxEvent, ShipmentEventDetail, numbered
from oms.errors import Conflict
from oms.identifiers import shipment_id_for
from oms.models import Hold, LineHandling, Location, Order, Reservation, Store
from oms.order_changes import Actor, MoveKind, OrderChange, StockMove, transition
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.shipments import (
    EVENT_TYPE,
    LEFT,
    OPEN,
    Label,
    Shipment,
    ShipmentEntry,
    ShipmentLine,
    ShipmentStatus,
    check_shipment_transition,
)

S = ShipmentStatus
SHIPPING = frozenset({OrderStatus.FULFILLING, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.PARTIALLY_REFUNDED})


@dataclass
class ShipmentChange:
    shipment: Shipment
    expected_version: int | None  # None: a new shipment
    events: list[OutboxEvent] = field(default_factory=list)


@dataclass
class FulfilmentChange:
    """What one fulfilment step changes: maybe the order (with the stock moves), some shipments."""

    order: OrderChange | None
    shipments: list[ShipmentChange] = field(default_factory=list)
    # Other orders changed in the same transaction (a claim's replacement order).
    also: list[OrderChange] = field(default_factory=list)

    @property
    def moves(self) -> list[StockMove]:
        return self.order.moves if self.order else []


def shipment_event(
    shipment: Shipment,
    kind: str,
    at: datetime,
    *,
    previous: ShipmentStatus | None = None,
    problem: str | None = None,
    detail: str | None = None,
) -> OutboxEvent:
    label = shipment.label
    body = ShipmentEventDetail(
        shipment_id=shipment.shipment_id,
        order_id=shipment.order_id,
        store_id=shipment.store_id,
        channel=shipment.channel,
        number=shipment.number,
        location=shipment.location,
        status=shipment.status.value,
        previous_status=previous.value if previous else None,
        carrier=label.carrier if label else None,
        service=label.service if label else None,
        tracking_number=label.tracking_number if label else None,
        tracking_url=label.tracking_url if label else None,
        problem=problem,
        detail=detail,
        source=shipment.source,
        labels_to_void=len(shipment.labels_to_void),
        lines=[EventLine(sku=line.sku, quantity=line.quantity) for line in shipment.lines],
        occurred_at=at,
    )
    return OutboxEvent(
        id="", source=SOURCE_SHIPMENTS, type=kind, occurred_at=at, detail=body.model_dump(mode="json")
    )


def move_shipment(
    change: ShipmentChange,
    to: ShipmentStatus,
    actor: Actor,
    *,
    reason: str | None = None,
    problem: str | None = None,
) -> None:
    current = change.shipment
    check_shipment_transition(current.status, to)
    entry = ShipmentEntry(
        at=actor.at, from_status=current.status, to_status=to, reason=reason, actor=actor.name
    )
    updates: dict[str, Any] = {"status": to, "timeline": [*current.timeline, entry], "updated_at": actor.at}
    if to == S.SHIPPED:
        updates["shipped_at"] = actor.at
    if to == S.DELIVERED:
        updates["delivered_at"] = actor.at
    change.shipment = current.model_copy(update=updates)
    change.events.append(
        shipment_event(
            change.shipment, EVENT_TYPE[to], actor.at, previous=current.status, problem=problem, detail=reason
        )
    )


def finish(change: FulfilmentChange) -> FulfilmentChange:
    """Number the events of every item by its new version."""
    if change.order is not None:
        order = change.order
        version = (order.expected_version or 0) + 1
        order.order = order.order.model_copy(update={"version": version})
        order.events = numbered(order.events, f"{order.order.order_id}:{version}")
    for sc in change.shipments:
        version = (sc.expected_version or 0) + 1
        sc.shipment = sc.shipment.model_copy(update={"version": version})
        sc.events = numbered(sc.events, f"{sc.shipment.shipment_id}:{version}")
    return change


def _unallocated(order: Order) -> dict[str, int]:
    """Per SKU, what the order has reserved and no location has been given yet."""
    allocated: dict[str, int] = {}
    for lines in order.reservation.allocated.values():
        for sku, qty in lines.items():
            allocated[sku] = allocated.get(sku, 0) + qty
    return {
        sku: qty - allocated.get(sku, 0)
        for sku, qty in order.reservation.reserved.items()
        if qty - allocated.get(sku, 0) > 0
    }


def _unassigned_ship_only(order: Order, existing: list[Shipment]) -> dict[str, int]:
    """Per line, what of the lines that ship without stock no live shipment carries yet."""
    live = [s for s in existing if s.status != S.CANCELLED]
    out = {}
    for line in order.lines:
        if line.resolved != LineHandling.SHIP:
            continue
        left = line.open_quantity - sum(s.quantity_of(line.line_id) for s in live)
        if left > 0:
            out[line.line_id] = left
    return out


def rules_for(store: Store | None) -> AllocationRules:
    settings = store.settings if store else None
    return AllocationRules(
        priority=tuple(settings.location_priority) if settings else (),
        allow_split=settings.allow_split if settings else True,
        prefer_same_country=settings.prefer_same_country if settings else True,
    )


def shipping_status(order: Order, shipments: list[Shipment]) -> OrderStatus:
    """Where a confirmed order stands with its shipments: nothing to ship is delivered; all of it
    left, shipped (delivered once every parcel is); some of it, partially shipped; in shipments
    not yet gone, fulfilling; else confirmed."""
    live = [s for s in shipments if s.status != S.CANCELLED]
    lines = [line for line in order.lines if line.ships and line.open_quantity > 0]
    shipped = {
        line.line_id: sum(s.quantity_of(line.line_id) for s in live if s.status in LEFT) for line in lines
    }
    if all(shipped[line.line_id] >= line.open_quantity for line in lines):
        left = [s for s in live if s.status in LEFT]
        return OrderStatus.DELIVERED if all(s.status == S.DELIVERED for s in left) else OrderStatus.SHIPPED
    if any(shipped.values()):
        return OrderStatus.PARTIALLY_SHIPPED
    if any(s.status in OPEN for s in live):
        return OrderStatus.FULFILLING
    return OrderStatus.CONFIRMED


# Orders staff may (re)allocate: what is reserved and not yet in a live shipment gets shipments.
STAFF_ALLOCATABLE = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.FULFILLING,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.ON_HOLD,
    }
)
# Allocated automatically (on OrderConfirmed, and on OrderUpdated for what an edit added).
AUTO_ALLOCATABLE = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.FULFILLING,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
_RESERVED_HOLDS = frozenset({HoldReason.NO_FULFILMENT_LOCATION, HoldReason.MANUAL})


def _check_staff_allocatable(order: Order) -> None:
    held_with_stock = (
        order.status == OrderStatus.ON_HOLD
        and order.hold is not None
        and order.hold.reason in _RESERVED_HOLDS
    )
    if order.status not in STAFF_ALLOCATABLE or (order.status == OrderStatus.ON_HOLD and not held_with_stock):
        how = ""
        if order.hold is not None:
            how = f" ({order.hold.reason.value}" + (f": {order.hold.note}" if order.hold.note else "") + ")"
        raise Conflict(
            f"order {order.order_id} is {order.status.value}{how}: nothing of it can be allocated",
            code="order_not_allocatable",
        )


def allocate_order(
    order: Order,
    existing: list[Shipment],
    store: Store | None,
    locations: list[Location],
    available: dict[tuple[str, str], int],
    actor: Actor,
    *,
    by_staff: bool = False,
) -> FulfilmentChange | None:
    """Shipments for what the order has to ship and no shipment carries yet: its reserved stock
    (each unit from a location that holds it, per oms.allocation) and the lines that ship without
    stock (with the order's other lines, or from the best-ranked location that ships there).

    Automatically (on OrderConfirmed, OrderUpdated) None when there is nothing to do, and an order
    no location can ship goes on hold (``no_fulfilment_location``) with its stock still reserved.
    Staff may also allocate what is left after a cancelled shipment, or an order held for want of a
    location; there a plan that cannot be made is an error that changes nothing."""
    if by_staff:
        _check_staff_allocatable(order)
    elif order.status not in AUTO_ALLOCATABLE:
        return None
    wanted = _unallocated(order)
    ship_only = _unassigned_ship_only(order, existing)
    if not wanted and not ship_only:
        if by_staff:
            raise Conflict("every reserved item is already in a shipment", code="nothing_to_allocate")
        return None
    country = order.shipping_address.country_code if order.shipping_address else None
    rules = rules_for(store)
    plan = allocate(wanted, locations, available, rules, country)
    home: str | None = None
    if plan is not None and ship_only:
        # Lines without stock go with the others, or from the best-ranked location that ships there.
        ranked = [loc for loc in rank(locations, rules, country) if loc.can_ship_to(country)]
        home = next((loc.location_id for loc in ranked if loc.location_id in plan), None)
        home = home or (ranked[0].location_id if ranked else None)
        plan = None if home is None else {**plan, home: plan.get(home, {})}
    change = FulfilmentChange(order=OrderChange(order=order, expected_version=order.version))
    assert change.order is not None
    if plan is None:
        if by_staff:
            raise Conflict(
                "no location (or set of locations) that ships to this address has the stock",
                code="no_fulfilment_location",
            )
        hold = Hold(
            reason=HoldReason.NO_FULFILMENT_LOCATION,
            note="no location (or set of locations) that ships to this address has the stock; the stock"
            f" stays reserved: POST /orders/{order.order_id}/allocate once stock or settings allow",
        )
        moved, event = transition(order, OrderStatus.ON_HOLD, actor, reason=hold.reason.value, hold=hold)
        change.order.order, change.order.events = moved, [event]
        return finish(change)
    allocated, n = _shipments_for(order, existing, plan, home, ship_only, change, actor)
    reservation = order.reservation.model_copy(update={"allocated": allocated})
    with_plan = order.model_copy(
        update={"reservation": reservation, "updated_at": actor.at, "shipment_count": n}
    )
    locations_used = sorted({sc.shipment.location for sc in change.shipments})
    if order.status in (OrderStatus.CONFIRMED, OrderStatus.ON_HOLD):
        moved, event = transition(
            with_plan,
            OrderStatus.FULFILLING,
            actor,
            reason=f"{len(change.shipments)} shipment(s) from {', '.join(locations_used)}",
        )
        change.order.order, change.order.events = moved, [event]
    else:
        change.order.order = with_plan  # already being fulfilled: more shipments, same status
    return finish(change)


def _shipments_for(
    order: Order,
    existing: list[Shipment],
    plan: dict[str, dict[str, int]],
    home: str | None,
    ship_only: dict[str, int],
    change: FulfilmentChange,
    actor: Actor,
) -> tuple[dict[str, dict[str, int]], int]:
    """One new shipment per location of the plan (lines without stock in ``home``'s), added to
    ``change`` with its allocate moves; returns the order's allocation after it and the count."""
    assert change.order is not None
    allocated = {loc: dict(lines) for loc, lines in order.reservation.allocated.items()}
    # What of each order line no live shipment carries yet (a line may be split between shipments).
    line_left = {line.line_id: line.open_quantity for line in order.lines}
    for shipment in existing:
        if shipment.status != S.CANCELLED:
            for sl in shipment.lines:
                line_left[sl.line_id] = line_left.get(sl.line_id, 0) - sl.quantity
    n = max(order.shipment_count, len(existing))
    home_lines = dict(ship_only)
    for location, lines in sorted(plan.items()):
        shipment_lines = _split_lines(order, lines, line_left)
        if home_lines and location == home:
            shipment_lines += _ship_only_lines(order, home_lines)
            home_lines = {}
        if not shipment_lines:
            continue
        n += 1
        shipment = Shipment(
            shipment_id=shipment_id_for(order.order_id, n),
            order_id=order.order_id,
            store_id=order.store_id,
            channel=order.channel.value,
            number=order.number,
            location=location,
            lines=shipment_lines,
            ship_to=order.shipping_address,
            created_at=actor.at,
            updated_at=actor.at,
            timeline=[ShipmentEntry(at=actor.at, to_status=S.PENDING, reason="allocated", actor=actor.name)],
        )
        events = [shipment_event(shipment, "ShipmentCreated", actor.at)]
        change.shipments.append(ShipmentChange(shipment=shipment, expected_version=None, events=events))
        for sku, qty in sorted(lines.items()):
            change.order.moves.append(StockMove(sku, qty, MoveKind.ALLOCATE, location))
            allocated.setdefault(location, {})[sku] = allocated.get(location, {}).get(sku, 0) + qty
    return allocated, n


def _split_lines(order: Order, wanted: dict[str, int], line_left: dict[str, int]) -> list[ShipmentLine]:
    """The order's lines (or parts of them) that make up ``wanted`` (stock item -> quantity), taking
    from ``line_left`` (what of each line is still to be carried) so no line is carried twice."""
    left = dict(wanted)
    out: list[ShipmentLine] = []
    for line in order.lines:
        sku = line.stock_item
        if not sku or not left.get(sku):
            continue
        take = min(left[sku], line_left.get(line.line_id, 0))
        if take <= 0:
            continue
        out.append(
            ShipmentLine(line_id=line.line_id, sku=sku, name=line.name, quantity=take, grams=line.grams)
        )
        left[sku] -= take
        line_left[line.line_id] -= take
    return out


def _ship_only_lines(order: Order, wanted: dict[str, int]) -> list[ShipmentLine]:
    out = []
    for line in order.lines:
        qty = wanted.get(line.line_id, 0)
        if qty > 0:
            out.append(
                ShipmentLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=qty,
                    grams=line.grams,
                    holds_stock=False,
                )
            )
    return out


def _check_wanted(order: Order, shipment: Shipment, doing: str) -> None:
    """A shipment may be packed or shipped only while its order is being fulfilled."""
    if shipment.status == S.CANCELLED:
        raise Conflict(
            f"shipment {shipment.shipment_id} was cancelled ({_last_reason(shipment)}):"
            f" there is nothing to {doing}",
            code="shipment_cancelled",
        )
    if order.status not in SHIPPING:
        hold = f" ({order.hold.reason.value}: {order.hold.note})" if order.hold and order.hold.note else ""
        raise Conflict(
            f"order {order.order_id} is {order.status.value}{hold}: its shipments must not be {doing}ed"
            if doing != "ship"
            else f"order {order.order_id} is {order.status.value}{hold}: nothing of it can ship",
            code="order_not_shipping",
        )


def _last_reason(shipment: Shipment) -> str:
    return next((e.reason for e in reversed(shipment.timeline) if e.reason), "no reason given")


def pack(order: Order, shipment: Shipment, actor: Actor) -> FulfilmentChange:
    _check_wanted(order, shipment, "pack")
    change = ShipmentChange(shipment=shipment, expected_version=shipment.version)
    move_shipment(change, S.PACKED, actor, reason="packed")
    return finish(FulfilmentChange(order=None, shipments=[change]))


def attach_label(shipment: Shipment, label: Label, actor: Actor) -> FulfilmentChange:
    if shipment.status in LEFT:
        raise Conflict(
            f"shipment {shipment.shipment_id} has already shipped ({shipment.status.value}):"
            " a label is of no use now",
            code="shipment_already_shipped",
        )
    if shipment.status not in OPEN:
        raise Conflict(
            f"shipment {shipment.shipment_id} was {shipment.status.value}", code="shipment_cancelled"
        )
    if shipment.label is not None:
        raise Conflict("this shipment already has a label; cancel it to buy another", code="label_exists")
    change = ShipmentChange(
        shipment=shipment.model_copy(update={"label": label, "updated_at": actor.at}),
        expected_version=shipment.version,
    )
    change.events.append(shipment_event(change.shipment, "ShipmentLabelCreated", actor.at))
    return finish(FulfilmentChange(order=None, shipments=[change]))


def ship(
    order: Order, shipment: Shipment, others: list[Shipment], actor: Actor, first_check: datetime | None
) -> FulfilmentChange:
    """The shipment leaves: its stock is committed (on hand and reserved both fall, at its location
    and in the SKU's total) in the same transaction that records it, so a retry cannot commit twice."""
    _check_wanted(order, shipment, "ship")
    sc = ShipmentChange(shipment=shipment, expected_version=shipment.version)
    move_shipment(sc, S.SHIPPED, actor, reason="handed to the carrier")
    if first_check and shipment.label and shipment.label.tracking_number:
        sc.shipment = sc.shipment.model_copy(
            update={"tracking": sc.shipment.tracking.model_copy(update={"next_check_at": first_check})}
        )
    reservation = order.reservation
    reserved, committed = dict(reservation.reserved), dict(reservation.committed)
    allocated = {loc: dict(lines) for loc, lines in reservation.allocated.items()}
    moves: list[StockMove] = []
    per_sku: dict[str, int] = {}
    for line in shipment.lines:
        if line.holds_stock and line.sku:
            per_sku[line.sku] = per_sku.get(line.sku, 0) + line.quantity
    for sku, qty in sorted(per_sku.items()):
        moves += [
            StockMove(sku, qty, MoveKind.COMMIT),
            StockMove(sku, qty, MoveKind.COMMIT, shipment.location),
        ]
        reserved[sku] = reserved.get(sku, 0) - qty
        committed[sku] = committed.get(sku, 0) + qty
        allocated.setdefault(shipment.location, {})[sku] = (
            allocated.get(shipment.location, {}).get(sku, 0) - qty
        )
    new_reservation = Reservation(
        reserved={k: v for k, v in reserved.items() if v > 0},
        committed=committed,
        allocated={
            loc: {k: v for k, v in lines.items() if v > 0}
            for loc, lines in allocated.items()
            if any(v > 0 for v in lines.values())
        },
    )
    after = [sc.shipment, *others]
    target = shipping_status(order, after)
    if target not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        target = OrderStatus.PARTIALLY_SHIPPED
    tracking = [
        {
            "shipment_id": s.shipment_id,
            "carrier": s.label.carrier,
            "tracking_number": s.label.tracking_number,
            "tracking_url": s.label.tracking_url,
        }
        for s in after
        if s.label and s.status in LEFT and s.source == "oms"
    ]
    order_change = OrderChange(
        order=order.model_copy(update={"reservation": new_reservation}),
        expected_version=order.version,
        moves=moves,
    )
    target = OrderStatus.SHIPPED if target == OrderStatus.DELIVERED else target
    if order.status != target:
        moved, event = transition(
            order_change.order, target, actor, reason=f"shipment {shipment.shipment_id}"
        )
        event.detail["tracking"] = tracking
        order_change.order, order_change.events = moved, [event]
    else:
        order_change.order = order_change.order.model_copy(update={"updated_at": actor.at})
    return finish(FulfilmentChange(order=order_change, shipments=[sc]))


def cancel_shipment(
    order: Order, shipment: Shipment, others: list[Shipment], actor: Actor, *, reason: str
) -> FulfilmentChange:
    """Cancel a shipment that has not left: its label is to be voided, its location's stock given
    back to the location; the order keeps the stock reserved (unless it is ending: cancelled or
    refunded, when it is released). With no other shipment left the order waits for staff
    (on hold, manual)."""
    if shipment.status in LEFT:
        raise Conflict(
            f"shipment {shipment.shipment_id} has already shipped ({shipment.status.value}):"
            " it cannot be cancelled; a return brings it back",
            code="shipment_already_shipped",
        )
    if shipment.status not in OPEN:
        raise Conflict(
            f"shipment {shipment.shipment_id} was {shipment.status.value}", code="shipment_cancelled"
        )
    sc = ShipmentChange(shipment=shipment, expected_version=shipment.version)
    if shipment.label is not None:
        sc.shipment = shipment.model_copy(
            update={"label": None, "labels_to_void": [*shipment.labels_to_void, shipment.label]}
        )
    move_shipment(sc, S.CANCELLED, actor, reason=reason)
    ending = order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    allocated = {loc: dict(lines) for loc, lines in order.reservation.allocated.items()}
    reserved = dict(order.reservation.reserved)
    moves = []
    for line in shipment.lines:
        if not (line.holds_stock and line.sku):
            continue
        moves.append(StockMove(line.sku, line.quantity, MoveKind.DEALLOCATE, shipment.location))
        at_location = allocated.setdefault(shipment.location, {})
        at_location[line.sku] = at_location.get(line.sku, 0) - line.quantity
        if ending:
            moves.append(StockMove(line.sku, line.quantity, MoveKind.RELEASE))
            reserved[line.sku] = reserved.get(line.sku, 0) - line.quantity
    reservation = order.reservation.model_copy(
        update={
            "reserved": {k: v for k, v in reserved.items() if v > 0},
            "allocated": {
                loc: {k: v for k, v in lines.items() if v > 0}
                for loc, lines in allocated.items()
                if any(v > 0 for v in lines.values())
            },
        }
    )
    order_change = OrderChange(
        order=order.model_copy(update={"reservation": reservation, "updated_at": actor.at}),
        expected_version=order.version,
        moves=moves,
    )
    still_open = [s for s in others if s.shipment_id != shipment.shipment_id and s.status in OPEN]
    if not still_open and order.status == OrderStatus.FULFILLING:
        hold = Hold(
            reason=HoldReason.MANUAL,
            note="its shipments were cancelled; the stock is still reserved:"
            f" POST /orders/{order.order_id}/allocate",
        )
        moved, event = transition(
            order_change.order, OrderStatus.ON_HOLD, actor, reason="shipments cancelled", hold=hold
        )
        order_change.order, order_change.events = moved, [event]
    return finish(FulfilmentChange(order=order_change, shipments=[sc]))


def record_voided(shipment: Shipment, voided: list[Label], actor: Actor) -> FulfilmentChange:
    """Labels voided at their carrier: moved from ``labels_to_void`` to ``voided_labels``."""
    keys = {(label.provider, label.provider_id, label.tracking_number) for label in voided}
    rest = [
        lb for lb in shipment.labels_to_void if (lb.provider, lb.provider_id, lb.tracking_number) not in keys
    ]
    change = ShipmentChange(
        shipment=shipment.model_copy(
            update={
                "labels_to_void": rest,
                "voided_labels": [*shipment.voided_labels, *voided],
                "updated_at": actor.at,
            }
        ),
        expected_version=shipment.version,
    )
    return finish(FulfilmentChange(order=None, shipments=[change]))


def complete(order: Order, store: Store | None, now: datetime, actor: Actor) -> OrderChange | None:
    """Delivered orders whose return window (store setting, days) has passed are completed."""
    if order.status != OrderStatus.DELIVERED or order.delivered_at is None:
        return None
    window = timedelta(days=store.settings.return_window_days if store else 30)
    if order.delivered_at + window > now:
        return None
    moved, event = transition(
        order, OrderStatus.COMPLETED, actor, reason=f"return window of {window.days} days over"
    )
    change = OrderChange(order=moved, expected_version=order.version, events=[event])
    finish(FulfilmentChange(order=change))
    return change
