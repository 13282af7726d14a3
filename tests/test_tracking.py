"""Tracking: when each parcel is checked next (adaptive polling), scans recorded once, problems
raised once, and the poller's time budget, hand-over and back-off on carrier outages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oms.carriers.carrier import CarrierUnavailable, TrackContext, TrackResult
from oms.carriers.sandbox_carrier import SandboxCarrier
from oms.order_changes import Actor
from oms.shipments import Label, Shipment, ShipmentLine, ShipmentStatus, Tracking, TrackingEvent
from oms.tracking_policy import apply, defer, next_check
from oms_local.samples import shopify_delivery, shopify_order
from tests.conftest import Stack

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


# ---------------------------------------------------------------- the poller's time budget


class SlowCarriers:
    """The sandbox carrier, 0.25 s per tracking call (a slow carrier API); ``down`` numbers fail."""

    def __init__(self, down: set[str] | None = None) -> None:
        self.sandbox = SandboxCarrier()
        self.down = down or set()
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def for_store(self, store: Any) -> Any:
        return self

    def for_label(self, label: Label) -> Any:
        return self

    def track(self, label: Label, context: TrackContext) -> TrackResult:
        with self.lock:
            self.asked.append(str(label.tracking_number))
        time.sleep(0.25)
        if label.tracking_number in self.down:
            raise CarrierUnavailable("carrier answered 503")
        return self.sandbox.track(label, context)


def _shipped_parcels(shop: Stack, count: int) -> list[dict[str, Any]]:
    secret = "poller-budget-secret-0123"
    status, body = shop.api(
        "POST",
        "/stores",
        {
            "store_id": "budget",
            "channel": "shopify",
            "name": "budget",
            "webhook_secret": secret,
            "shop_domain": "budget.myshopify.com",
            "settings": {"auto_fulfil": True, "sandbox_scenario": "delivered:9"},
        },
    )
    assert status == 201, body
    sku = shop.new_sku("BUDGET", wh_east=50)
    parcels = []
    for n in range(count):
        delivery = shopify_delivery(
            shopify_order(900 + n, skus={sku: 1}),
            store_id="budget",
            secret=secret,
            shop_domain="budget.myshopify.com",
        )
        assert shop.deliver(delivery)[0] == 202
        _, found = shop.api("GET", f"/orders/budget.{900 + n}/shipments")
        parcels += found["shipments"]
    return parcels


def poll(service: Any, run_at: datetime, *, budget: float = 60.0, concurrency: int = 1) -> Any:
    """One poller run at ``run_at`` with ``budget`` seconds to spend."""
    deadline = time.monotonic() + budget
    return service.poll(
        run_at,
        remaining=lambda: deadline - time.monotonic(),
        stalled_after=timedelta(days=5),
        concurrency=concurrency,
        limit=100,
        actor=Actor("tracking-poller", f"schedule:{run_at.isoformat()}", run_at),
    )


def test_the_poller_stops_at_its_time_budget_and_the_next_run_takes_the_rest(full_shop: Stack) -> None:
    parcels = _shipped_parcels(full_shop, 8)
    module = full_shop.cloud.invoker.load("TrackingPollerFunction")
    service = module.service
    carriers = SlowCarriers()
    service.carriers = carriers
    run_at = max(datetime.fromisoformat(p["shipped_at"]) for p in parcels) + 2 * H

    first = poll(service, run_at, budget=0.6, concurrency=2)  # a few 0.25 s checks, two at a time
    assert first.due == 8
    assert 0 < first.checked < 8
    assert first.checked + first.left_for_next_run == 8
    second = poll(service, run_at, concurrency=2)
    # The parcels left over are due first; the ones checked are not due again yet: none starves,
    # none is asked twice.
    assert second.due == first.left_for_next_run
    assert second.checked == first.left_for_next_run
    assert sorted(carriers.asked) == sorted(p["label"]["tracking_number"] for p in parcels)


def test_a_carrier_outage_on_one_parcel_defers_it_and_the_rest_are_checked(full_shop: Stack) -> None:
    parcels = _shipped_parcels(full_shop, 3)
    module = full_shop.cloud.invoker.load("TrackingPollerFunction")
    down = parcels[0]["label"]["tracking_number"]
    module.service.carriers = SlowCarriers(down={down})
    run_at = max(datetime.fromisoformat(p["shipped_at"]) for p in parcels) + 2 * H
    report = poll(module.service, run_at, concurrency=3)
    assert (report.due, report.checked, report.failed) == (3, 2, 1)
    _, body = full_shop.api("GET", f"/shipments/{parcels[0]['shipment_id']}")
    assert body["tracking"]["failed_checks"] == 1
    assert datetime.fromisoformat(body["tracking"]["next_check_at"]) == run_at + H


class NoCarriers:
    """No tracking provider for these labels any more (its key was removed)."""

    def for_store(self, store: Any) -> Any:
        return None

    def for_label(self, label: Label) -> Any:
        return None


def test_a_parcel_nobody_can_track_backs_off_instead_of_blocking_the_queue(full_shop: Stack) -> None:
    parcels = _shipped_parcels(full_shop, 2)
    module = full_shop.cloud.invoker.load("TrackingPollerFunction")
    module.service.carriers = NoCarriers()
    run_at = max(datetime.fromisoformat(p["shipped_at"]) for p in parcels) + 2 * H
    report = poll(module.service, run_at, concurrency=1)
    assert (report.due, report.checked) == (2, 0)
    for parcel in parcels:
        _, body = full_shop.api("GET", f"/shipments/{parcel['shipment_id']}")
        assert datetime.fromisoformat(body["tracking"]["next_check_at"]) == run_at + H
    again = poll(module.service, run_at, concurrency=1)
    assert again.due == 0  # no longer at the head of the queue
