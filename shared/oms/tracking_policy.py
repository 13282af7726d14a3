"""Tracking: recording what carriers report, once, and deciding when to ask again.

When to check a parcel next (``next_check``), first rule that applies:
1. delivered, returned or cancelled: never again;
2. out for delivery: in 1 hour (it is about to be delivered);
3. after a delivery exception: in 3 hours (a second attempt is usually next day, but be early);
4. no scan for two days: every 8 hours (a stalled parcel does not need hammering; the stall
   itself is reported once, after ``stalled_after``);
5. with the carrier's estimate: more than 2 days away, in 12 hours; less, in 4 hours; due or
   late, in 2 hours;
6. without one: scanned in the last 6 hours, in 6 hours (nothing new is likely sooner);
   otherwise in 3 hours.
Parcels not checked in a run keep their due time, and each run takes the longest-overdue first,
so none starves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oms.carriers.carrier import TrackResult
from oms.fulfilment import ShipmentChange, move_shipment, shipment_event
from oms.models import Order
from oms.order_changes import Actor, OrderChange, transition
from oms.order_lifecycle import OrderStatus
from oms.shipments import (
    FINAL,
    SHIPMENT_TRANSITIONS,
    Problem,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)

S = ShipmentStatus
HOUR = timedelta(hours=1)


def next_check(shipment: Shipment, now: datetime) -> datetime | None:
    if shipment.status in FINAL:
        return None
    tracking = shipment.tracking
    if shipment.status == S.OUT_FOR_DELIVERY:
        return now + HOUR
    if shipment.status == S.EXCEPTION:
        return now + 3 * HOUR
    quiet = now - (tracking.last_event_at or shipment.shipped_at or now)
    if quiet > timedelta(days=2):
        return now + 8 * HOUR
    if tracking.estimated_delivery is not None:
        until = tracking.estimated_delivery - now
        if until > timedelta(days=2):
            return now + 12 * HOUR
        if until > timedelta(0):
            return now + 4 * HOUR
        return now + 2 * HOUR
    if quiet < 6 * HOUR:
        return now + 6 * HOUR
    return now + 3 * HOUR


def _problem_kind(event: TrackingEvent) -> str:
    if event.status == S.RETURNED_TO_SENDER:
        return "returned_to_sender"
    return "failed_attempt" if "attempt" in event.description.lower() else "exception"


def apply(
    shipment: Shipment, result: TrackResult, now: datetime, *, stalled_after: timedelta, actor: Actor
) -> ShipmentChange:
    """The shipment after one check: new scans recorded once, status moved on, problems raised once
    each (a failed attempt, a return, no scan for ``stalled_after``), and the next check scheduled."""
    change = ShipmentChange(shipment=shipment, expected_version=shipment.version)
    seen = {e.key for e in shipment.tracking.events}
    new = sorted((e for e in result.events if e.key not in seen), key=lambda e: e.at)
    problems = list(shipment.tracking.problems)
    known_problems = {f"{p.kind}:{p.detail}" for p in problems}
    for event in new:
        status = change.shipment.status
        if event.status != status and event.status in SHIPMENT_TRANSITIONS[status]:
            problem = _problem_kind(event) if event.status in (S.EXCEPTION, S.RETURNED_TO_SENDER) else None
            move_shipment(
                change,
                event.status,
                Actor(actor.name, actor.source_event, event.at),
                reason=event.description,
                problem=problem,
            )
            if problem and f"{problem}:{event.key}" not in known_problems:
                problems.append(Problem(kind=problem, detail=event.key, first_seen=now))
                known_problems.add(f"{problem}:{event.key}")
    events = sorted([*shipment.tracking.events, *new], key=lambda e: e.at)
    last_event_at = events[-1].at if events else None
    current = change.shipment
    quiet_since = last_event_at or current.shipped_at
    if current.status not in FINAL and quiet_since is not None and now - quiet_since > stalled_after:
        key = f"stalled:{quiet_since.isoformat()}"
        if key not in known_problems:
            problems.append(Problem(kind="stalled", detail=quiet_since.isoformat(), first_seen=now))
            change.events.append(
                shipment_event(
                    current,
                    "ShipmentException",
                    now,
                    problem="stalled",
                    detail=f"no scan since {quiet_since.isoformat()} ({(now - quiet_since).days} days)",
                )
            )
    tracking = current.tracking.model_copy(
        update={
            "events": events,
            "checks": current.tracking.checks + 1,
            "failed_checks": 0,
            "last_checked_at": now,
            "last_event_at": last_event_at,
            "estimated_delivery": result.estimated_delivery or current.tracking.estimated_delivery,
            "problems": problems,
        }
    )
    updated = current.model_copy(update={"tracking": tracking, "updated_at": now})
    if result.tracker_id and updated.label is not None and updated.label.tracker_id != result.tracker_id:
        updated = updated.model_copy(
            update={"label": updated.label.model_copy(update={"tracker_id": result.tracker_id})}
        )
    updated = updated.model_copy(
        update={"tracking": tracking.model_copy(update={"next_check_at": next_check(updated, now)})}
    )
    change.shipment = updated
    return change


def defer(shipment: Shipment, now: datetime) -> ShipmentChange:
    """The carrier could not be asked: try again later, backing off (1, 2, 4 ... 12 hours)."""
    failed = shipment.tracking.failed_checks + 1
    wait = min(2 ** (failed - 1), 12) * HOUR
    tracking = shipment.tracking.model_copy(update={"failed_checks": failed, "next_check_at": now + wait})
    return ShipmentChange(
        shipment=shipment.model_copy(update={"tracking": tracking, "updated_at": now}),
        expected_version=shipment.version,
    )


def order_delivered(
    order: Order, delivered: Shipment, others: list[Shipment], now: datetime, actor: Actor
) -> OrderChange | None:
    """The order moves to delivered when this delivery was its last parcel on the way."""
    live = [s for s in others if s.shipment_id != delivered.shipment_id and s.status != S.CANCELLED]
    if order.status != OrderStatus.SHIPPED or not all(s.status == S.DELIVERED for s in live):
        return None
    moved, event = transition(order, OrderStatus.DELIVERED, actor, reason="every parcel delivered")
    moved = moved.model_copy(update={"delivered_at": delivered.delivered_at or now})
    return OrderChange(order=moved, expected_version=order.version, events=[event])
