"""Reconciliation through the template's stores API, reconcile queue and order recovery function:
an order whose webhook never came is found in the channel's changed orders (replayed Shopify
GraphQL and WooCommerce REST exchanges), taken in through the intake queue and confirmed once; a
later run lists it again and reads nothing more."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from oms.missed_orders import RUN_ATTEMPTS
from oms_local.samples import fixture
from tests.replay import Replay, recorded
from tests.stack import Stack

SHOPIFY_TOKEN = "shpat_recon_token_0123"
WOO_SITE = "https://recon-woo.example.com"
WOO_KEY, WOO_SECRET = "ck_recon_woo_0123456789", "cs_recon_woo_0123456789"
SCHEDULE_TICK = {"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def _store(stack: Stack, body: dict[str, Any]) -> None:
    status, answer = stack.api("POST", "/stores", body)
    assert status == 201, answer


def _recovery_replays(stack: Stack, replay: Replay) -> None:
    stack.cloud.invoker.load("OrderRecoveryFunction").transport = replay  # type: ignore[attr-defined]


def _paid_shopify_exchanges() -> list[dict[str, Any]]:
    exchanges = copy.deepcopy(recorded("shopify-reconcile")["exchanges"])
    order = exchanges[1]["response"]["json"]["data"]["order"]
    order["displayFinancialStatus"] = "PAID"
    order["totalOutstandingSet"] = {"shopMoney": {"amount": "0.00"}}
    return exchanges


def test_a_shopify_order_whose_webhook_was_lost_is_found_by_reconciliation_and_confirmed_once(
    full_shop: Stack,
) -> None:
    _store(
        full_shop,
        {
            "store_id": "recon-shop",
            "channel": "shopify",
            "name": "Reconciled shop",
            "webhook_secret": "recon-shop-webhook-secret",
            "shop_domain": "recon-shop.myshopify.com",
            "api_credentials": {"access_token": SHOPIFY_TOKEN},
            "settings": {"location_priority": ["wh-east"]},
        },
    )
    exchanges = _paid_shopify_exchanges()
    replay = Replay(copy.deepcopy(exchanges))
    _recovery_replays(full_shop, replay)
    since = (datetime.now(UTC) - timedelta(hours=2)).isoformat()

    status, asked = full_shop.api("POST", "/stores/recon-shop/reconcile", {"since": since})
    assert status == 202, asked
    assert asked["status"] == "queued"
    full_shop.cloud.drain()

    assert replay.done()
    (listing, read) = replay.sent
    assert "updated_at:>=" in listing["json"]["variables"]["query"]
    assert read["json"]["variables"]["id"] == "gid://shopify/Order/450789469"
    order = full_shop.order("recon-shop.450789469")
    assert order["status"] == "fulfilling"  # confirmed, and allocated to a warehouse since
    assert [line["sku"] for line in order["lines"]] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    assert len(full_shop.events.of_type("OrderConfirmed", "recon-shop.450789469")) == 1
    status, record = full_shop.api("GET", "/stores/recon-shop/reconciliation")
    assert status == 200, record
    assert (record["last_missing"], record["last_stale"], record["last_listed"]) == (1, 0, 1)
    assert record["watermark"] is None  # staff's window: the schedule sets the first watermark

    # The schedule's first run lists the order again: held at that version, it is not read.
    replay.exchanges.append(copy.deepcopy(exchanges[0]))
    result = full_shop.cloud.invoker.invoke("OrderRecoveryFunction", SCHEDULE_TICK)
    assert result.ok, result
    full_shop.cloud.drain()
    assert replay.done()
    assert len(replay.sent) == 3
    assert len(full_shop.events.of_type("OrderConfirmed", "recon-shop.450789469")) == 1
    _, record = full_shop.api("GET", "/stores/recon-shop/reconciliation")
    assert (record["last_missing"], record["last_stale"]) == (0, 0)
    assert record["watermark"] is not None
    assert record["scheduled_finished_id"] == record["scheduled_run_id"] is not None
    assert full_shop.queue_depth("ReconcileQueue") == 0
    assert full_shop.queue_depth("ReconcileDLQ") == 0

    # The tick again, minutes later: the store is not due, nothing is read.
    full_shop.cloud.invoker.invoke("OrderRecoveryFunction", SCHEDULE_TICK)
    full_shop.cloud.drain()
    assert len(replay.sent) == 3


def woo_exchanges() -> list[dict[str, Any]]:
    order = fixture("woocommerce/order.json")
    base = f"{WOO_SITE}/wp-json/wc/v3/orders"
    return [
        {
            "request": {"method": "GET", "url_prefix": f"{base}?"},
            "response": {
                "status": 200,
                "json": [{"id": 727, "date_modified_gmt": order["date_modified_gmt"]}],
            },
        },
        {"request": {"method": "GET", "url": f"{base}/727"}, "response": {"status": 200, "json": order}},
    ]


class PrefixReplay(Replay):
    """The listing's URL carries the window's times: the recording matches it by its start."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        want = self.exchanges[0]["request"] if self.exchanges else {}
        if "url_prefix" in want and url.startswith(want["url_prefix"]):
            want["url"] = url
        return super().request(method, url, **kwargs)


def test_a_woocommerce_order_whose_webhook_was_lost_is_taken_in_by_reconciliation(full_shop: Stack) -> None:
    _store(
        full_shop,
        {
            "store_id": "recon-woo",
            "channel": "woocommerce",
            "name": "Reconciled WooCommerce shop",
            "webhook_secret": "recon-woo-webhook-secret",
            "site_url": WOO_SITE,
            "api_credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET},
        },
    )
    replay = PrefixReplay(woo_exchanges())
    _recovery_replays(full_shop, replay)
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    status, asked = full_shop.api("POST", "/stores/recon-woo/reconcile", {"since": since})
    assert status == 202, asked
    full_shop.cloud.drain()

    assert replay.done()
    listing = replay.sent[0]["url"]
    for part in ("orderby=modified", "order=asc", "dates_are_gmt=true", "_fields=id%2Cdate_modified_gmt"):
        assert part in listing
    assert replay.sent[0]["headers"]["authorization"].startswith("Basic ")
    order = full_shop.order("recon-woo.727")
    assert order["number"] == "727"
    assert len(full_shop.events.of_type("OrderPlaced", "recon-woo.727")) == 1


def test_a_bigcommerce_order_whose_callback_was_lost_is_listed_read_by_the_intake_and_confirmed(
    full_shop: Stack,
) -> None:
    _store(
        full_shop,
        {
            "store_id": "recon-bc",
            "channel": "bigcommerce",
            "name": "Reconciled BigCommerce store",
            "store_hash": "abc123def",
            "api_credentials": {"access_token": "bc_test_api_token_0123456789"},
            "settings": {"location_priority": ["wh-east"]},
        },
    )
    for sku in ("S-ORAN", "ABS"):
        full_shop.set_stock(sku, wh_east=5)
    documented = recorded("bigcommerce-order")["exchanges"]
    order = documented[0]["response"]["json"]
    listing = {
        "request": {"method": "GET", "url_prefix": "https://api.bigcommerce.com/stores/abc123def/v2/orders?"},
        "response": {"status": 200, "json": [order]},
    }
    replay = PrefixReplay([listing])
    _recovery_replays(full_shop, replay)
    reads = Replay(copy.deepcopy(documented))
    full_shop.cloud.invoker.load("IntakeFunction").transport = reads  # type: ignore[attr-defined]
    since = datetime(2019, 6, 20, tzinfo=UTC).isoformat()
    until = datetime(2019, 6, 21, tzinfo=UTC).isoformat()
    status, asked = full_shop.api("POST", "/stores/recon-bc/reconcile", {"since": since, "until": until})
    assert status == 202, asked
    full_shop.cloud.drain()

    assert replay.done()
    assert reads.done()
    url = replay.sent[0]["url"]
    for part in (
        "min_date_modified=Thu%2C+20+Jun+2019+00%3A00%3A00+%2B0000",
        "sort=date_modified%3Aasc",
        "limit=250",
    ):
        assert part in url
    assert replay.sent[0]["headers"]["x-auth-token"] == "bc_test_api_token_0123456789"
    assert full_shop.order("recon-bc.250")["status"] == "fulfilling"
    assert len(full_shop.events.of_type("OrderConfirmed", "recon-bc.250")) == 1
    _, record = full_shop.api("GET", "/stores/recon-bc/reconciliation")
    assert (record["last_missing"], record["last_listed"]) == (1, 1)


def test_credentials_the_channel_refuses_leave_the_watermark_and_say_why(full_shop: Stack) -> None:
    _store(
        full_shop,
        {
            "store_id": "recon-denied",
            "channel": "shopify",
            "name": "Denied shop",
            "webhook_secret": "recon-denied-webhook-secret",
            "shop_domain": "recon-shop.myshopify.com",
            "api_credentials": {"access_token": "shpat_revoked_token_0"},
        },
    )
    replay = Replay([])
    replay.fail_at = {0: 401}
    _recovery_replays(full_shop, replay)
    result = full_shop.cloud.invoker.invoke("OrderRecoveryFunction", SCHEDULE_TICK)
    assert result.ok, result
    full_shop.cloud.drain()
    _, record = full_shop.api("GET", "/stores/recon-denied/reconciliation")
    assert record["watermark"] is None
    assert "401" in record["last_error"]
    assert full_shop.queue_depth("ReconcileDLQ") == 0


def test_a_shop_down_for_every_attempt_leaves_the_run_in_the_dlq_and_its_reason_on_the_record(
    full_shop: Stack,
) -> None:
    _store(
        full_shop,
        {
            "store_id": "recon-down",
            "channel": "shopify",
            "name": "Down shop",
            "webhook_secret": "recon-down-webhook-secret",
            "shop_domain": "recon-down.myshopify.com",
            "api_credentials": {"access_token": SHOPIFY_TOKEN},
        },
    )
    replay = Replay([], fail_at=dict.fromkeys(range(40), 503))
    _recovery_replays(full_shop, replay)
    result = full_shop.cloud.invoker.invoke("OrderRecoveryFunction", SCHEDULE_TICK)
    assert result.ok, result
    full_shop.cloud.drain()

    attempts = full_shop.cloud.stack.resources["ReconcileQueue"]["Properties"]["RedrivePolicy"]
    assert attempts["maxReceiveCount"] == RUN_ATTEMPTS
    assert full_shop.queue_depth("ReconcileDLQ") == 1
    _, record = full_shop.api("GET", "/stores/recon-down/reconciliation")
    assert record["last_error"].startswith(f"gave up after {RUN_ATTEMPTS} attempts: HttpError")
    assert record["watermark"] is None
    assert record["scheduled_finished_id"] == record["scheduled_run_id"] is not None


def test_a_window_not_in_the_past_or_a_store_without_order_reads_is_refused(full_shop: Stack) -> None:
    _store(
        full_shop,
        {
            "store_id": "recon-asked",
            "channel": "shopify",
            "name": "Asked shop",
            "webhook_secret": "recon-asked-webhook-secret",
            "shop_domain": "recon-asked.myshopify.com",
            "api_credentials": {"access_token": SHOPIFY_TOKEN},
        },
    )
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    status, body = full_shop.api("POST", "/stores/recon-asked/reconcile", {"since": soon})
    assert (status, body["code"]) == (400, "invalid_window")
    long_ago = (datetime.now(UTC) - timedelta(days=120)).isoformat()
    status, body = full_shop.api("POST", "/stores/recon-asked/reconcile", {"since": long_ago})
    assert (status, body["code"]) == (400, "invalid_window")
    status, body = full_shop.api("POST", "/stores/recon-asked/reconcile", {"since": "yesterday"})
    assert (status, body["code"]) == (422, "validation_error")
    status, body = full_shop.api("POST", "/stores/demo-shopify/reconcile", {"since": long_ago})
    assert (status, body["code"]) == (409, "no_api_credentials")  # nothing to read its orders with
    status, body = full_shop.api("POST", "/stores/no-such-store/reconcile", {"since": long_ago})
    assert (status, body["code"]) == (404, "unknown_store")
    assert full_shop.queue_depth("ReconcileQueue") == 0


def test_the_watermark_never_moves_back_when_an_older_window_finishes_last(stack: Stack) -> None:
    from oms.data.dynamo_table import Table
    from oms.data.reconciliation_repository import ReconciliationRepository
    from oms.missed_orders import ReconcileRun

    records = ReconciliationRepository(Table(stack.cloud.ref("OmsTable")))
    now = datetime.now(UTC).replace(microsecond=0)
    newer = ReconcileRun(run_id="newer", store_id="wm-shop", since=now - timedelta(hours=2), until=now)
    older = newer.model_copy(update={"run_id": "older", "until": now - timedelta(hours=1)})
    records.finish(newer, now, move_watermark=True)
    records.finish(older, now, move_watermark=True)  # a slow run of an earlier window
    record = records.get("wm-shop")
    assert record is not None
    assert record.watermark == now
    assert record.last_run_id == "older"  # the run is still recorded
