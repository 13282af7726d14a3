"""Tracking policy (pure): when each parcel is checked next (adaptive polling), scans recorded
once, problems raised once, back-off on carrier outages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oms.carriers.carrier import TrackResult
from oms.order_changes import Actor
from oms.shipments import Label, Shipment, ShipmentLine, ShipmentStatus, Tracking, TrackingEvent
from oms.tracking_policy import apply, defer, next_check

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
S = ShipmentStatus
ACTOR = Actor("tracking-poller", "schedule:test", NOW)


def parcel(
    status: ShipmentStatus = S.IN_TRANSIT,
    *,
    shipped: timedelta = 10 * H,
    last_scan: timedelta | None = None,
    estimate: timedelta | None = None,
) -> Shipment:
    return Shipment(
        shipment_id="o.1-S1",
        order_id="o.1",
        store_id="s",
        channel="shopify",
        number="#1",
        location="wh-east",
        lines=[ShipmentLine(line_id="1", sku="A", name="A", quantity=1)],
        status=status,
        label=Label(provider="sandbox", carrier="Sandbox Post", tracking_number="SBXD030000000001"),
        tracking=Tracking(
            last_event_at=NOW - last_scan if last_scan is not None else None,
            estimated_delivery=NOW + estimate if estimate is not None else None,
        ),
        created_at=NOW - shipped,
        updated_at=NOW,
        shipped_at=NOW - shipped,
    )


@pytest.mark.parametrize(
    ("shipment", "wait"),
    [
        (parcel(S.DELIVERED), None),  # final: never again
        (parcel(S.RETURNED_TO_SENDER), None),
        (parcel(S.OUT_FOR_DELIVERY, last_scan=H), H),  # about to be delivered: soon
        (parcel(S.EXCEPTION, last_scan=H), 3 * H),  # a second attempt is next
        (parcel(last_scan=3 * 24 * H, estimate=-H), 8 * H),  # stalled: no need to hammer
        (parcel(last_scan=2 * H, estimate=5 * 24 * H), 12 * H),  # far from due
        (parcel(last_scan=2 * H, estimate=20 * H), 4 * H),  # due within two days
        (parcel(last_scan=2 * H, estimate=-3 * H), 2 * H),  # due or late: often
        (parcel(last_scan=2 * H), 6 * H),  # recently scanned, no estimate
        (parcel(last_scan=9 * H), 3 * H),  # quiet for a while, no estimate
        (parcel(shipped=H), 6 * H),  # just shipped, no scan yet
    ],
)
def test_adaptive_polling_checks_due_parcels_often_and_quiet_far_ones_rarely(
    shipment: Shipment, wait: timedelta | None
) -> None:
    assert next_check(shipment, NOW) == (NOW + wait if wait is not None else None)


def _scan(hours: int, status: ShipmentStatus, text: str) -> TrackingEvent:
    return TrackingEvent(status=status, description=text, at=NOW - 10 * H + hours * H, location="Hub")


def test_a_scan_is_recorded_once_and_a_problem_raised_once_however_often_it_is_reported() -> None:
    shipment = parcel(S.SHIPPED)
    result = TrackResult(
        events=[_scan(1, S.IN_TRANSIT, "Picked up"), _scan(2, S.EXCEPTION, "Delivery attempted")],
        estimated_delivery=NOW + 5 * H,
    )
    first = apply(shipment, result, NOW, stalled_after=timedelta(days=5), actor=ACTOR)
    assert first.shipment.status == S.EXCEPTION
    assert [e.type for e in first.events].count("ShipmentException") == 1
    again = apply(first.shipment, result, NOW + H, stalled_after=timedelta(days=5), actor=ACTOR)
    assert again.shipment.tracking.events == first.shipment.tracking.events
    assert again.shipment.tracking.problems == first.shipment.tracking.problems
    assert again.events == []
    assert again.shipment.tracking.checks == first.shipment.tracking.checks + 1


def test_a_parcel_with_no_scan_for_the_configured_days_is_reported_once() -> None:
    shipment = parcel(S.IN_TRANSIT, shipped=7 * 24 * H, last_scan=6 * 24 * H)
    quiet = TrackResult(events=[])
    first = apply(shipment, quiet, NOW, stalled_after=timedelta(days=5), actor=ACTOR)
    assert [p.kind for p in first.shipment.tracking.problems] == ["stalled"]
    assert [e.type for e in first.events] == ["ShipmentException"]
    later = apply(first.shipment, quiet, NOW + 8 * H, stalled_after=timedelta(days=5), actor=ACTOR)
    assert later.events == []
    assert len(later.shipment.tracking.problems) == 1


def test_a_carrier_outage_backs_off_1_2_4_8_then_12_hours() -> None:
    shipment = parcel()
    waits = []
    for _ in range(6):
        shipment = defer(shipment, NOW).shipment
        assert shipment.tracking.next_check_at is not None
        waits.append(shipment.tracking.next_check_at - NOW)
    assert waits == [H, 2 * H, 4 * H, 8 * H, 12 * H, 12 * H]


@pytest.mark.parametrize(
    ("shipment", "wait"),
    [
        (parcel(last_scan=2 * 24 * H), 3 * H),  # quiet exactly two days: not yet stalled
        (parcel(last_scan=2 * 24 * H + H), 8 * H),
        (parcel(last_scan=2 * H, estimate=2 * 24 * H), 4 * H),  # due in exactly two days
        (parcel(last_scan=2 * H, estimate=2 * 24 * H + H), 12 * H),
        (parcel(last_scan=2 * H, estimate=timedelta(0)), 2 * H),  # due now
        (parcel(last_scan=6 * H), 3 * H),  # quiet exactly six hours
        (parcel(last_scan=6 * H - timedelta(minutes=1)), 6 * H),
    ],
)
def test_the_polling_thresholds_fall_on_the_side_the_table_says(shipment: Shipment, wait: timedelta) -> None:
    assert next_check(shipment, NOW) == NOW + wait


def test_a_scan_saying_attempt_is_a_failed_attempt_and_a_return_is_its_own_problem() -> None:
    from oms.tracking_policy import _problem_kind

    def scan(status: ShipmentStatus, text: str) -> TrackingEvent:
        return TrackingEvent(status=status, description=text, at=NOW, location="Hub")

    assert _problem_kind(scan(S.EXCEPTION, "Delivery ATTEMPT failed")) == "failed_attempt"
    assert _problem_kind(scan(S.EXCEPTION, "Address not found")) == "exception"
    assert _problem_kind(scan(S.RETURNED_TO_SENDER, "attempt 3, returning")) == "returned_to_sender"
