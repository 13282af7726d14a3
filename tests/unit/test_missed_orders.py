"""Reconciliation's rules (oms.missed_orders), Shopify's GraphQL order read as its webhook, and the
runs (oms.services.order_recovery_service) over in-memory ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oms.channels.shopify_orders import normalise
from oms.errors import BadRequest, Conflict
from oms.intake_message import IntakeMessage
from oms.integrations.http_transport import HttpError
from oms.integrations.shopify_order_reads import rest_order, window_query
from oms.missed_orders import (
    OVERLAP,
    RUN_ATTEMPTS,
    RUN_LOST_AFTER,
    SETTLE,
    ChannelOrderVersion,
    MissedKind,
    ReconcileRun,
    Reconciliation,
    check_window,
    event_id,
    is_due,
    moves_watermark,
    scheduled_window,
    triage,
)
from oms.models import Store
from oms.notifications import Alert
from oms.services.order_recovery_service import OrderRecovery, request_run
from oms_local.samples import fixture
from tests.replay import recorded
from tests.unit.builders import NOW, store

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def version(channel_id: str, minutes: int) -> ChannelOrderVersion:
    return ChannelOrderVersion(channel_order_id=channel_id, updated_at=T0 + timedelta(minutes=minutes))


def run(**changes: Any) -> ReconcileRun:
    values: dict[str, Any] = {
        "run_id": "r1",
        "store_id": "unit-shop",
        "since": T0,
        "until": T0 + timedelta(hours=1),
    }
    return ReconcileRun(**(values | changes))


# ------------------------------------------------------------------ rules


def test_an_order_we_never_saw_is_missing_an_older_copy_is_stale_and_a_current_one_is_left_alone() -> None:
    listed = [version("1", 5), version("2", 10), version("3", 15)]
    ours = {"2": T0 + timedelta(minutes=4), "3": T0 + timedelta(minutes=15)}
    assert [(m.channel_order_id, m.kind) for m in triage(listed, ours)] == [
        ("1", MissedKind.MISSING),
        ("2", MissedKind.STALE),
    ]


def test_the_scheduled_window_starts_before_the_watermark_and_ends_before_now() -> None:
    since, until = scheduled_window(T0, NOW, backfill_days=7) or (None, None)
    assert (since, until) == (T0 - OVERLAP, NOW - SETTLE)


def test_a_stores_first_window_reaches_back_its_backfill_days() -> None:
    assert scheduled_window(None, NOW, backfill_days=3) == (NOW - timedelta(days=3), NOW - SETTLE)
    # No backfill: the last few minutes only, so the first run still sets the watermark.
    assert scheduled_window(None, NOW, backfill_days=0) == (NOW - SETTLE - OVERLAP, NOW - SETTLE)


def test_a_store_is_due_after_its_interval_and_never_with_zero() -> None:
    record = Reconciliation(store_id="s", last_scheduled_at=NOW - timedelta(minutes=30))
    assert not is_due(record, NOW, 60)
    assert is_due(record, NOW + timedelta(minutes=29), 60)
    assert is_due(None, NOW, 60)
    assert not is_due(None, NOW, 0)


def test_a_store_whose_scheduled_run_has_not_finished_is_not_due_until_the_run_counts_as_lost() -> None:
    queued = Reconciliation(
        store_id="s", last_scheduled_at=NOW - timedelta(minutes=70), scheduled_run_id="r1"
    )
    assert not is_due(queued, NOW, 60)
    assert is_due(queued.model_copy(update={"scheduled_finished_id": "r1"}), NOW, 60)
    assert not is_due(queued, NOW - timedelta(minutes=70) + RUN_LOST_AFTER - timedelta(seconds=1), 60)
    assert is_due(queued, NOW - timedelta(minutes=70) + RUN_LOST_AFTER, 60)


def test_an_on_demand_window_is_in_the_past_and_at_most_ninety_days_long() -> None:
    assert check_window(T0, None, NOW) == (T0, NOW)
    assert check_window(T0, NOW + timedelta(days=1), NOW) == (T0, NOW)  # the future is not read yet
    with pytest.raises(ValueError, match="before"):
        check_window(NOW, T0, NOW)
    with pytest.raises(ValueError, match="90 days"):
        check_window(NOW - timedelta(days=91), None, NOW)


def test_the_watermark_moves_only_for_a_window_that_leaves_no_gap_before_it() -> None:
    watermark = T0 + timedelta(minutes=30)
    assert moves_watermark(run(), watermark)
    assert not moves_watermark(run(since=T0 + timedelta(minutes=40)), watermark)  # a gap before it
    assert not moves_watermark(run(until=T0 + timedelta(minutes=20)), watermark)  # behind it
    assert moves_watermark(run(scheduled=True), None)
    assert not moves_watermark(run(), None)  # the schedule sets the first one


def test_the_same_order_version_found_twice_is_one_intake_delivery() -> None:
    at = T0 + timedelta(minutes=5)
    assert event_id("450789469", at) == event_id("450789469", at)
    assert event_id("450789469", at) != event_id("450789469", at + timedelta(seconds=1))


def test_shopifys_order_search_is_asked_for_the_window_in_utc() -> None:
    assert window_query(T0, T0 + timedelta(hours=1)) == (
        "updated_at:>='2026-06-01T09:00:00Z' AND updated_at:<='2026-06-01T10:00:00Z'"
    )


def test_shopifys_graphql_order_reads_as_the_same_order_its_webhook_carries() -> None:
    """The recorded GraphQL answer for the fixture order, shaped as REST, normalises to the same
    order as the webhook fixture itself (times aside: the fixture's are in the shop's zone)."""
    exchange = recorded("shopify-reconcile")["exchanges"][1]
    node = exchange["response"]["json"]["data"]["order"]
    from_graphql = normalise(
        rest_order(node, node["lineItems"]["nodes"]), topic="orders/updated", store_id="unit-shop"
    )
    from_webhook = normalise(
        fixture("shopify/orders-create.json"), topic="orders/create", store_id="unit-shop"
    )
    # What GraphQL always says and the 2008 fixture predates: each line's current quantity, and
    # what is still owed (the order is authorized, not paid).
    expected = from_webhook.model_copy(
        update={
            "lines": [line.model_copy(update={"current_quantity": 1}) for line in from_webhook.lines],
            "totals": from_webhook.totals.model_copy(update={"outstanding": from_webhook.totals.total}),
        }
    )
    ignored = {"placed_at", "channel_updated_at", "channel_status", "source"}
    assert from_graphql.model_dump(exclude=ignored) == expected.model_dump(exclude=ignored)
    assert from_graphql.channel_updated_at == from_webhook.channel_updated_at
    assert from_graphql.placed_at == from_webhook.placed_at


def test_a_graphql_order_with_fulfilments_and_refunds_keeps_them_as_the_webhook_would() -> None:
    exchange = recorded("shopify-reconcile")["exchanges"][1]
    node = json.loads(json.dumps(exchange["response"]["json"]["data"]["order"]))
    lines = node["lineItems"]["nodes"]
    lines[0]["unfulfilledQuantity"] = 0
    lines[1]["currentQuantity"] = 0
    lines[1]["unfulfilledQuantity"] = 0
    node["fulfillments"] = [
        {
            "id": "gid://shopify/Fulfillment/255858046",
            "status": "SUCCESS",
            "createdAt": "2008-01-11T16:00:00Z",
            "trackingInfo": [{"company": "USPS", "number": "1Z2345", "url": "https://t.example/1Z2345"}],
            "fulfillmentLineItems": {"nodes": [{"lineItem": {"id": lines[0]["id"]}, "quantity": 1}]},
        }
    ]
    node["refunds"] = [
        {
            "id": "gid://shopify/Refund/509562969",
            "note": "it broke during shipping",
            "refundLineItems": {
                "nodes": [{"lineItem": {"id": lines[1]["id"]}, "quantity": 1, "restockType": "CANCEL"}]
            },
            "transactions": {
                "nodes": [
                    {"kind": "REFUND", "status": "SUCCESS", "amountSet": {"shopMoney": {"amount": "199.00"}}}
                ]
            },
        }
    ]
    snap = normalise(rest_order(node, lines), topic="orders/updated", store_id="unit-shop")
    (fulfilment,) = snap.channel_fulfilments
    assert (fulfilment.fulfilment_id, fulfilment.tracking_number, fulfilment.status) == (
        "255858046",
        "1Z2345",
        "success",
    )
    assert [(x.line_id, x.quantity) for x in fulfilment.lines] == [("466157049", 1)]
    (refund,) = snap.channel_refunds
    assert str(refund.total.amount) == "199.00"
    assert [(x.line_id, x.quantity, x.restock_type) for x in refund.lines] == [("518995019", 1, "cancel")]
    assert [line.current_quantity for line in snap.lines] == [1, 0, 1]


# ------------------------------------------------------------------ runs over in-memory ports


class FakeReads:
    def __init__(self, pages: list[list[ChannelOrderVersion]], orders: dict[str, dict[str, Any]]) -> None:
        self.pages, self.orders = pages, orders
        self.fetched: list[str] = []
        self.fail: HttpError | None = None

    def changed(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[ChannelOrderVersion], str | None]:
        if self.fail:
            raise self.fail
        page = int(cursor or 0)
        return self.pages[page], (str(page + 1) if page + 1 < len(self.pages) else None)

    def fetch(self, channel_order_id: str) -> dict[str, Any] | None:
        self.fetched.append(channel_order_id)
        return self.orders.get(channel_order_id)


class FakeStores:
    def __init__(self, *stores: Store) -> None:
        self.stores = {s.store_id: s for s in stores}

    def find(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)

    def all(self) -> list[Store]:
        return list(self.stores.values())

    def api_credentials(self, store: Store) -> dict[str, Any] | None:
        return {"access_token": "shpat_unit"}


class FakeRecords:
    def __init__(self) -> None:
        self.records: dict[str, Reconciliation] = {}

    def get(self, store_id: str) -> Reconciliation | None:
        return self.records.get(store_id)

    def many(self, store_ids: list[str]) -> dict[str, Reconciliation]:
        return {s: r for s, r in self.records.items() if s in store_ids}

    def mark_scheduled(self, store_id: str, run_id: str, at: datetime, previous: datetime | None) -> bool:
        record = self.records.get(store_id) or Reconciliation(store_id=store_id)
        if record.last_scheduled_at != previous:
            return False
        self.records[store_id] = record.model_copy(
            update={"last_scheduled_at": at, "scheduled_run_id": run_id}
        )
        return True

    def finish(
        self, run: ReconcileRun, at: datetime, *, move_watermark: bool, error: str | None = None
    ) -> None:
        record = self.records.get(run.store_id) or Reconciliation(store_id=run.store_id)
        update: dict[str, Any] = {"last_run_id": run.run_id, "last_error": error, "last_missing": run.missing}
        if run.scheduled:
            update["scheduled_finished_id"] = run.run_id
        if move_watermark and (record.watermark is None or record.watermark < run.until):
            update["watermark"] = run.until
        self.records[run.store_id] = record.model_copy(update=update)


class FakeVersions:
    def __init__(self, held: dict[str, datetime]) -> None:
        self.held = held

    def channel_versions(self, order_ids: list[str]) -> dict[str, datetime]:
        return {i: self.held[i] for i in order_ids if i in self.held}


class Captured:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def enqueue(self, message: IntakeMessage) -> str:
        self.items.append(message)
        return f"m{len(self.items)}"

    def send(self, item: Any) -> None:
        self.items.append(item)

    def __call__(self, item: Any) -> None:
        self.items.append(item)


def recovery(
    reads: FakeReads, held: dict[str, datetime], *stores: Store
) -> tuple[OrderRecovery, Captured, Captured, Captured, FakeRecords]:
    intake, queue, alerts, records = Captured(), Captured(), Captured(), FakeRecords()
    shop = store().model_copy(update={"api_connected": True})
    service = OrderRecovery(
        FakeStores(*(stores or (shop,))),
        records,
        FakeVersions(held),
        intake,
        queue,
        lambda s, c: reads,
        alerts,
    )
    return service, intake, queue, alerts, records


def test_a_run_takes_in_only_the_missing_and_stale_orders_moves_the_watermark_and_alerts_staff() -> None:
    reads = FakeReads(
        [[version("1", 5), version("2", 10)], [version("3", 15)]],
        {"1": {"id": 1}, "2": {"id": 2}, "3": {"id": 3}},
    )
    held = {"unit-shop.2": T0 + timedelta(minutes=10), "unit-shop.3": T0}
    service, intake, queue, alerts, records = recovery(reads, held)
    records.records["unit-shop"] = Reconciliation(store_id="unit-shop", watermark=T0 + timedelta(minutes=5))
    outcome = service.run(run(scheduled=True), NOW, lambda: 300.0)
    assert outcome.finished
    assert outcome.moved_watermark
    assert reads.fetched == ["1", "3"]  # 2 is held at the channel's version: not read
    assert [(m.channel_order_id, m.topic, m.attributes) for m in intake.items] == [
        ("1", "orders/updated", {"source": "reconciliation"}),
        ("3", "orders/updated", {"source": "reconciliation"}),
    ]
    assert (outcome.run.missing, outcome.run.stale, outcome.run.listed, outcome.run.pages) == (1, 1, 3, 2)
    assert records.records["unit-shop"].watermark == T0 + timedelta(hours=1)
    (alert,) = alerts.items
    assert isinstance(alert, Alert)
    assert "Webhooks may be failing" in alert.subject
    assert queue.items == []


def test_a_stores_first_scheduled_run_takes_its_backfill_in_without_alerting_staff() -> None:
    reads = FakeReads([[version("1", 5)]], {"1": {"id": 1}})
    service, intake, _, alerts, records = recovery(reads, {})
    outcome = service.run(run(scheduled=True), NOW, lambda: 300.0)
    assert outcome.run.missing == 1
    assert len(intake.items) == 1
    assert alerts.items == []
    assert records.records["unit-shop"].watermark == T0 + timedelta(hours=1)
    # The same found by a window staff ask for, once the watermark is set: staff are told.
    reads.pages = [[version("2", 6)]]
    reads.orders["2"] = {"id": 2}
    service.run(run(run_id="r2"), NOW, lambda: 300.0)
    assert len(alerts.items) == 1


def test_a_run_with_nothing_missed_queues_nothing_and_tells_nobody() -> None:
    reads = FakeReads([[version("1", 5)]], {"1": {"id": 1}})
    service, intake, _, alerts, records = recovery(reads, {"unit-shop.1": T0 + timedelta(minutes=5)})
    outcome = service.run(run(scheduled=True), NOW, lambda: 300.0)
    assert outcome.finished
    assert intake.items == []
    assert alerts.items == []
    assert reads.fetched == []
    assert records.records["unit-shop"].watermark == T0 + timedelta(hours=1)


def test_a_run_out_of_time_queues_the_rest_of_itself_and_leaves_the_watermark() -> None:
    reads = FakeReads([[version("1", 5)], [version("2", 10)]], {"1": {"id": 1}, "2": {"id": 2}})
    service, intake, queue, _, records = recovery(reads, {})
    outcome = service.run(run(scheduled=True), NOW, lambda: 5.0)
    assert not outcome.finished
    (rest,) = queue.items
    assert (rest.cursor, rest.missing, rest.pages) == ("1", 1, 1)
    assert "unit-shop" not in records.records
    finished = service.run(rest, NOW, lambda: 300.0)
    assert finished.finished
    assert finished.run.missing == 2
    assert [m.channel_order_id for m in intake.items] == ["1", "2"]


def test_an_order_deleted_from_the_channel_after_it_was_listed_is_skipped() -> None:
    reads = FakeReads([[version("1", 5)]], {})
    service, intake, _, _, _ = recovery(reads, {})
    outcome = service.run(run(scheduled=True), NOW, lambda: 300.0)
    assert outcome.finished
    assert intake.items == []
    assert outcome.run.found == 0


def test_credentials_the_channel_refuses_alert_staff_once_and_keep_the_watermark() -> None:
    reads = FakeReads([[]], {})
    reads.fail = HttpError("Shopify answered 401", status=401)
    service, _, _, alerts, records = recovery(reads, {})
    first = service.run(run(scheduled=True), NOW, lambda: 300.0)
    second = service.run(run(scheduled=True, run_id="r2"), NOW, lambda: 300.0)
    assert first.problem
    assert second.problem
    assert len(alerts.items) == 1
    assert "cannot be reconciled" in alerts.items[0].subject
    assert records.records["unit-shop"].watermark is None


def test_an_outage_is_raised_for_the_queue_to_retry() -> None:
    reads = FakeReads([[]], {})
    reads.fail = HttpError("Shopify answered 503", status=503, retryable=True)
    service, *_ = recovery(reads, {})
    with pytest.raises(HttpError):
        service.run(run(scheduled=True), NOW, lambda: 300.0)


def test_an_outage_on_a_runs_last_attempt_is_recorded_before_the_dlq_keeps_it() -> None:
    reads = FakeReads([[]], {})
    reads.fail = HttpError("Shopify answered 503", status=503, retryable=True)
    shop = store().model_copy(update={"api_connected": True})
    service, _, _, _, records = recovery(reads, {}, shop)
    (queued,) = service.schedule(NOW)
    later = NOW + timedelta(hours=2)
    for attempt in range(1, RUN_ATTEMPTS):
        with pytest.raises(HttpError):
            service.attempt(queued, later, lambda: 300.0, attempt)
    assert records.records["unit-shop"].last_error is None
    assert service.schedule(later) == []  # still being retried
    with pytest.raises(HttpError):
        service.attempt(queued, later, lambda: 300.0, RUN_ATTEMPTS)
    record = records.records["unit-shop"]
    assert record.last_error == "gave up after 5 attempts: HttpError: Shopify answered 503"
    assert record.watermark is None
    assert [r.store_id for r in service.schedule(later)] == ["unit-shop"]


def test_the_schedule_queues_each_due_store_once_however_many_ticks_run() -> None:
    shop = store().model_copy(update={"api_connected": True})
    unconnected = store().model_copy(update={"store_id": "no-keys", "api_connected": False})
    service, _, queue, _, _ = recovery(FakeReads([[]], {}), {}, shop, unconnected)
    assert [r.store_id for r in service.schedule(NOW)] == ["unit-shop"]
    assert service.schedule(NOW + timedelta(minutes=5)) == []
    (queued,) = queue.items
    assert queued.scheduled
    assert queued.until == NOW - SETTLE


def test_the_schedule_queues_a_stores_next_run_only_once_its_last_one_finished() -> None:
    shop = store().model_copy(update={"api_connected": True})
    service, _, queue, _, _ = recovery(FakeReads([[]], {}), {}, shop)
    (first,) = service.schedule(NOW)
    an_hour_on = NOW + timedelta(hours=1)
    assert service.schedule(an_hour_on) == []  # the first is still on the queue
    service.run(first, an_hour_on, lambda: 300.0)
    (second,) = service.schedule(an_hour_on + timedelta(minutes=5))
    assert second.run_id != first.run_id
    assert [r.run_id for r in queue.items] == [first.run_id, second.run_id]


def test_staff_may_ask_for_a_window_of_a_connected_shopify_or_woocommerce_store() -> None:
    queue = Captured()
    shop = store().model_copy(update={"api_connected": True})
    asked = request_run(shop, queue, T0, None, actor="staff:u1", now=NOW)
    assert queue.items == [asked]
    assert (asked.since, asked.until, asked.scheduled) == (T0, NOW, False)
    with pytest.raises(Conflict):
        request_run(shop.model_copy(update={"api_connected": False}), queue, T0, None, actor="s", now=NOW)
    with pytest.raises(BadRequest):
        request_run(shop, queue, NOW, T0, actor="s", now=NOW)
