"""The tracking poller on the whole stack: its time budget, the hand-over to the next run, and
back-off when a carrier is down or nobody can track a parcel."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from oms.carriers.carrier import CarrierUnavailable, TrackContext, TrackResult
from oms.carriers.sandbox_carrier import SandboxCarrier
from oms.order_changes import Actor
from oms.shipments import Label
from oms_local.samples import shopify_delivery, shopify_order
from tests.stack import Stack

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


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
