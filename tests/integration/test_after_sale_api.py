"""Cancelling and refunding through the admin API on the local stack (moto): stock released or
restocked once, refunds made on the channel where the payment lives (Shopify GraphQL, WooCommerce
REST, replayed from recorded exchanges) and recorded once, whatever fails in between."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from oms.integrations.http_transport import HttpError, HttpResponse
from oms_local.lambda_events import sqs_record
from oms_local.samples import fixture, shopify_delivery, woocommerce_delivery, woocommerce_order
from tests.integration.test_channel_push import (
    SHOP_SECRET,
    WOO_AUTH,
    WOO_KEY,
    WOO_KEY_SECRET,
    WOO_SECRET,
    channel_sync,
    register,
)
from tests.replay import Replay
from tests.stack import Stack

SHOP = "push-shop.1073459981"
WOO = "push-woo.4712"
ORDERS = "https://push-woo.example.com/wp-json/wc/v3/orders/4712"


def shopify_store(stack: Stack) -> None:
    register(
        stack,
        {
            "store_id": "push-shop",
            "channel": "shopify",
            "name": "Push shop",
            "webhook_secret": SHOP_SECRET,
            "shop_domain": "push-shop.myshopify.com",
            "api_credentials": {"access_token": "shpat_replay_token"},
            "settings": {"location_priority": ["wh-east"]},
        },
    )


def woo_store(stack: Stack, *, keys: bool = True) -> None:
    store: dict[str, Any] = {
        "store_id": "push-woo",
        "channel": "woocommerce",
        "name": "Push Woo",
        "webhook_secret": WOO_SECRET,
        "site_url": "https://push-woo.example.com",
        # Shipments are not pushed here (tests/integration/test_channel_push.py covers them).
        "settings": {"location_priority": ["wh-west"], "push_fulfilment_to_channel": False},
    }
    if keys:
        store["api_credentials"] = {"consumer_key": WOO_KEY, "consumer_secret": WOO_KEY_SECRET}
    register(stack, store)


def woo_order(stack: Stack, **skus: int) -> dict[str, Any]:
    woo = woocommerce_order(4712, skus=skus or {"Bar3": 1, "WOO-SINGLE": 2})
    delivery = woocommerce_delivery(
        woo, store_id="push-woo", secret=WOO_SECRET, site_url="https://push-woo.example.com"
    )
    assert stack.deliver(delivery)[0] == 202
    return stack.order(WOO)


def post(stack: Stack, path: str, body: dict[str, Any], *, key: str | None = None) -> tuple[int, Any]:
    status, _, answer = stack.api.request(
        "POST", path, body, headers={"idempotency-key": key} if key else None
    )
    return status, answer


def line(order: dict[str, Any], sku: str) -> str:
    return next(str(ln["line_id"]) for ln in order["lines"] if ln["sku"] == sku)


def test_a_shopify_refund_is_sent_through_graphql_despite_an_outage_and_follows_the_money(
    full_shop: Stack,
) -> None:
    shop = full_shop
    shopify_store(shop)
    replay = Replay.of("shopify-refund")
    replay.fail_at = {0: 503}  # Shopify is down for the first attempt
    channel_sync(shop, replay)
    delivery = shopify_delivery(
        fixture("shopify/orders-create-recent.json"),
        store_id="push-shop",
        secret=SHOP_SECRET,
        shop_domain="push-shop.myshopify.com",
    )
    assert shop.deliver(delivery)[0] == 202
    before = shop.stock("IPOD2009BLACK")
    assert shop.order(SHOP)["status"] == "fulfilling"

    status, refund = shop.api(
        "POST",
        f"/orders/{SHOP}/refunds",
        {"lines": [{"line_id": "1071823212", "quantity": 1}], "reason": "customer"},
    )
    assert (status, refund["status"], refund["total"]) == (
        201,
        "pending",
        {"amount": "181.09", "currency": "USD"},
    )
    shop.cloud.drain()

    assert replay.done()
    sent = replay.sent[-1]["json"]
    assert "@idempotent(key: $key)" in sent["query"]
    assert sent["variables"]["key"] == refund["refund_id"]  # Shopify makes it once, whatever we repeat
    order = shop.order(SHOP)
    (recorded,) = order["refunds"]
    assert (recorded["status"], recorded["channel_refund_id"]) == (
        "succeeded",
        "gid://shopify/Refund/929361463",
    )
    assert (order["status"], order["payment_status"]) == ("refunded", "refunded")
    after = shop.stock("IPOD2009BLACK")
    assert after["reserved"] == before["reserved"] - 1  # the unshipped unit was released
    _, shipments = shop.api("GET", f"/orders/{SHOP}/shipments")
    assert [s["status"] for s in shipments["shipments"]] == ["cancelled"]
    _, listed = shop.api("GET", f"/orders/{SHOP}/refunds")
    assert (listed["captured"]["amount"], listed["refundable"]["amount"]) == ("181.09", "0.00")


class LostAnswer:
    """The channel does what it is asked, and the answer to one request is lost on the way back."""

    def __init__(self, replay: Replay, lose: int) -> None:
        self.replay, self.lose, self.calls = replay, lose, 0

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        answer = self.replay.request(method, url, **kwargs)
        self.calls += 1
        if self.calls - 1 == self.lose:
            raise HttpError(f"{method} {url} failed: TimeoutError", retryable=True)
        return answer


def test_a_woocommerce_refund_whose_answer_was_lost_is_found_and_not_made_twice(full_shop: Stack) -> None:
    shop = full_shop
    woo_store(shop)
    order = woo_order(shop)
    bar = line(order, "Bar3")
    status, shipments = shop.api("GET", f"/orders/{WOO}/shipments")
    for shipment in shipments["shipments"]:
        assert shop.api("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200
    shop.cloud.drain()
    refund_id = "refund-lost-answer"
    made = copy.deepcopy(fixture("woocommerce/refund.json"))
    paid = next(ln for ln in order["lines"] if ln["line_id"] == bar)  # 1 x 12.00 with 0.90 tax
    value = (
        Decimal(paid["line_total"]["amount"])
        - Decimal(paid["discount"]["amount"])
        + Decimal(paid["tax"]["amount"])
    )
    assert value == Decimal("12.90")
    made.update(id=727, amount=str(value), meta_data=[{"id": 1, "key": "_oms_refund_id", "value": refund_id}])
    exchange = {"headers": {"authorization": WOO_AUTH}}
    replay = Replay(
        [
            {
                "request": {"method": "GET", "url": f"{ORDERS}/refunds", **exchange},
                "response": {"status": 200, "json": []},
            },
            {
                "request": {
                    "method": "POST",
                    "url": f"{ORDERS}/refunds",
                    **exchange,
                    "json": {
                        "amount": made["amount"],
                        "api_refund": True,
                        "meta_data": [{"key": "_oms_refund_id", "value": refund_id}],
                    },
                    "json_subset": True,
                },
                "response": {"status": 201, "json": made},
            },
            {
                "request": {"method": "GET", "url": f"{ORDERS}/refunds", **exchange},
                "response": {"status": 200, "json": [made]},
            },
        ]
    )
    lossy = LostAnswer(replay, lose=1)
    channel_sync(shop, lossy)  # type: ignore[arg-type]
    status, refund = post(
        shop,
        f"/orders/{WOO}/refunds",
        {"lines": [{"line_id": bar, "quantity": 1, "restock": True}], "reason": "damaged"},
        key=refund_id,
    )
    assert (status, refund["status"]) == (201, "pending")
    assert refund["total"]["amount"] == made["amount"]
    shop.cloud.drain()

    assert replay.done()  # one POST: the retry found the refund under our id
    assert [r["method"] for r in replay.sent] == ["GET", "POST", "GET"]
    order = shop.order(WOO)
    (recorded,) = order["refunds"]
    assert (recorded["status"], recorded["channel_refund_id"]) == ("succeeded", "727")
    assert (recorded["lines"][0]["restocked"], recorded["lines"][0]["location_id"]) == (1, "wh-west")
    again_status, again = post(
        shop,
        f"/orders/{WOO}/refunds",
        {"lines": [{"line_id": bar, "quantity": 1, "restock": True}], "reason": "damaged"},
        key=refund_id,
    )
    assert (again_status, again["refund_id"], again["status"]) == (
        201,
        refund_id,
        "pending",
    )  # the first answer
    assert len(shop.order(WOO)["refunds"]) == 1
    reused_status, reused = post(
        shop, f"/orders/{WOO}/refunds", {"amount": "1.00", "reason": "other"}, key=refund_id
    )
    assert (reused_status, reused["code"]) == (422, "idempotency_key_reused")


def test_a_refund_the_channel_refuses_is_recorded_failed_with_its_words_and_counts_for_nothing(
    full_shop: Stack,
) -> None:
    shop = full_shop
    woo_store(shop)
    woo_order(shop)
    exchange = {"headers": {"authorization": WOO_AUTH}}
    replay = Replay(
        [
            {
                "request": {"method": "GET", "url": f"{ORDERS}/refunds", **exchange},
                "response": {"status": 200, "json": []},
            },
            {
                "request": {"method": "POST", "url": f"{ORDERS}/refunds", **exchange},
                "response": {
                    "status": 400,
                    "json": {
                        "code": "woocommerce_rest_invalid_order_refund",
                        "message": "Invalid refund amount.",
                        "data": {"status": 400},
                    },
                },
            },
        ]
    )
    channel_sync(shop, replay)
    status, _ = shop.api("POST", f"/orders/{WOO}/refunds", {"amount": "5.00", "reason": "goodwill"})
    assert status == 201
    shop.cloud.drain()
    order = shop.order(WOO)
    (recorded,) = order["refunds"]
    assert recorded["status"] == "failed"
    assert "woocommerce_rest_invalid_order_refund" in recorded["message"]
    assert shop.queue_depth("ChannelSyncDLQ") == 0  # a refusal is an answer, not an outage
    _, listed = shop.api("GET", f"/orders/{WOO}/refunds")
    assert listed["refunded"]["amount"] == "0.00"


def test_a_store_without_api_keys_records_refunds_as_manual_and_cancels_whole_orders_releasing_stock(
    full_shop: Stack,
) -> None:
    shop = full_shop
    woo_store(shop, keys=False)
    sku = shop.new_sku("CANCEL", wh_west=4)
    order = woo_order(shop, **{sku: 1})  # 12.00 + 0.90 tax, 10.00 shipping; 29.35 captured
    assert shop.stock(sku)["reserved"] == 1
    status, done = shop.api("POST", f"/orders/{WOO}/cancel", {"reason": "customer", "refund": True})
    assert status == 200, done
    assert done["status"] == "cancelled"
    assert (done["refund"]["status"], done["refund"]["total"]["amount"]) == ("manual", "22.90")
    assert done["refund"]["shipping"]["amount"] == "10.00"
    assert done["cancelled"] == [{"line_id": line(order, sku), "quantity": 1}]
    assert shop.order(WOO)["payment_status"] == "partially_refunded"
    assert shop.stock(sku)["reserved"] == 0
    shop.cloud.drain()
    cancelled = shop.events.of_type("OrderLinesCancelled", WOO)
    assert len(cancelled) == 1
    assert cancelled[0]["detail"]["whole"] is True
    repeat_status, repeat = shop.api("POST", f"/orders/{WOO}/cancel", {"reason": "customer"})
    assert (repeat_status, repeat["cancelled"]) == (200, [])  # cancelling a cancelled order changes nothing


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reason": "customer", "lines": [{"line_id": "nope"}]}, 422, "unknown_line"),
        ({"reason": "bored"}, 422, "validation_error"),
        ({"reason": "customer", "lines": []}, 422, "validation_error"),
    ],
)
def test_bad_cancel_requests_are_refused_with_the_field_and_change_nothing(
    full_shop: Stack, body: dict[str, Any], status: int, code: str
) -> None:
    shop = full_shop
    woo_store(shop, keys=False)
    before = woo_order(shop)
    answer_status, answer = shop.api("POST", f"/orders/{WOO}/cancel", body)
    assert (answer_status, answer["code"]) == (status, code)
    assert shop.order(WOO)["version"] == before["version"]


def test_a_woocommerce_line_cancel_is_pushed_once_as_a_zero_refund_of_those_units(full_shop: Stack) -> None:
    shop = full_shop
    woo_store(shop)
    order = woo_order(shop)
    single = line(order, "WOO-SINGLE")
    exchange = {"headers": {"authorization": WOO_AUTH}}
    made = copy.deepcopy(fixture("woocommerce/refund.json")) | {"id": 730, "amount": "0.00"}
    replay = Replay(
        [
            {
                "request": {"method": "GET", "url": f"{ORDERS}/refunds", **exchange},
                "response": {"status": 200, "json": []},
            },
            {
                "request": {
                    "method": "POST",
                    "url": f"{ORDERS}/refunds",
                    **exchange,
                    "json": {
                        "amount": "0.00",
                        "api_refund": False,
                        "line_items": [{"id": single, "quantity": 1, "refund_total": "0.00"}],
                    },
                    "json_subset": True,
                },
                "response": {"status": 201, "json": made},
            },
        ]
    )
    channel_sync(shop, replay)
    status, done = shop.api(
        "POST",
        f"/orders/{WOO}/cancel",
        {"reason": "inventory", "lines": [{"line_id": single, "quantity": 1}]},
    )
    assert (status, done["cancelled"]) == (200, [{"line_id": single, "quantity": 1}])
    shop.cloud.drain()
    assert replay.done()
    after = shop.order(WOO)
    assert next(ln for ln in after["lines"] if ln["line_id"] == single)["current_quantity"] == 1
    assert after["cancelled_quantities"] == {single: 1}


def test_an_edit_over_http_reserves_the_new_line_all_or_nothing_and_the_fulfilment_step_allocates_it(
    full_shop: Stack,
) -> None:
    shop = full_shop
    woo_store(shop, keys=False)
    order = woo_order(shop)
    extra = shop.new_sku("EDIT", wh_west=3)
    short_status, short = post(
        shop, f"/orders/{WOO}/edits", {"add": [{"sku": extra, "quantity": 4, "unit_price": "9.00"}]}
    )
    assert (short_status, short["code"]) == (409, "insufficient_stock")
    assert short["errors"] == [{"message": short["message"], "sku": extra, "requested": 4, "available": 3}]
    assert shop.order(WOO)["version"] == order["version"]
    single = line(order, "WOO-SINGLE")
    body = {
        "add": [{"sku": extra, "quantity": 2, "unit_price": "9.00"}],
        "change": [{"line_id": single, "quantity": 1}],
    }
    status, done = post(shop, f"/orders/{WOO}/edits", body, key="edit-1")
    assert status == 200, done
    assert done["edit"]["difference"] == {"amount": "5.55", "currency": "USD"}  # +18.00, -(12.00 + 0.45 tax)
    shop.cloud.drain()
    assert shop.stock(extra)["reserved"] == 2
    _, shipments = shop.api("GET", f"/orders/{WOO}/shipments")
    carried = {
        (ln["sku"], ln["quantity"])
        for s in shipments["shipments"]
        if s["status"] == "pending"
        for ln in s["lines"]
    }
    assert carried == {("Bar3", 1), ("WOO-SINGLE", 1), (extra, 2)}
    again_status, again = post(shop, f"/orders/{WOO}/edits", body, key="edit-1")
    assert (again_status, again["edit"]["edit_id"]) == (200, done["edit"]["edit_id"])
    assert shop.stock(extra)["reserved"] == 2  # the repeat did nothing


def test_a_refund_made_in_shopifys_admin_arrives_by_webhook_and_is_recorded_and_restocked_once(
    full_shop: Stack,
) -> None:
    shop = full_shop
    register(
        shop,
        {
            "store_id": "admin-shop",
            "channel": "shopify",
            "name": "Admin shop",
            "webhook_secret": SHOP_SECRET,
            "shop_domain": "admin-shop.myshopify.com",
            "settings": {"location_priority": ["wh-east"]},
        },
    )
    placed = fixture("shopify/orders-create.json") | {"financial_status": "paid"}
    send = {"store_id": "admin-shop", "secret": SHOP_SECRET, "shop_domain": "admin-shop.myshopify.com"}
    assert shop.deliver(shopify_delivery(placed, **send))[0] == 202
    order_id = "admin-shop.450789469"
    _, shipments = shop.api("GET", f"/orders/{order_id}/shipments")
    for shipment in shipments["shipments"]:
        assert shop.api("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200
    before = shop.stock("IPOD2008BLACK")["on_hand"]
    made = fixture("shopify/refunds-create.json")
    for n in (1, 2):  # Shopify retries with a new delivery now and then: recorded once
        delivery = shopify_delivery(made, topic="refunds/create", event_id=f"refund-webhook-{n}", **send)
        assert shop.deliver(delivery)[0] == 202
    order = shop.order(order_id)
    (refund,) = order["refunds"]
    assert (refund["status"], refund["channel_refund_id"], refund["total"]["amount"]) == (
        "channel",
        "509562969",
        "209.00",
    )
    assert shop.stock("IPOD2008BLACK")["on_hand"] == before + 1
    _, listed = shop.api("GET", f"/orders/{order_id}/refunds")
    assert listed["refunded"]["amount"] == "209.00"


def test_a_channel_that_answers_429_with_retry_after_gets_the_refund_only_after_that_wait(
    full_shop: Stack,
) -> None:
    shop = full_shop
    woo_store(shop)
    woo_order(shop)
    shop.cloud.pause("ChannelSyncFunction")  # its message waits in the queue for this test to hand over
    assert shop.api("POST", f"/orders/{WOO}/refunds", {"amount": "3.00", "reason": "late"})[0] == 201
    shop.cloud.drain()
    sqs, url = shop.cloud.clients["sqs"], shop.cloud.ref("ChannelSyncQueue")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], VisibilityTimeout=0)["Messages"]
    replay = Replay(
        [
            {
                "request": {
                    "method": "GET",
                    "url": f"{ORDERS}/refunds",
                    "headers": {"authorization": WOO_AUTH},
                },
                "response": {
                    "status": 429,
                    "headers": {"Retry-After": "120"},
                    "json": {
                        "code": "too_many_requests",
                        "message": "Too many requests",
                        "data": {"status": 429},
                    },
                },
            }
        ]
    )
    channel_sync(shop, replay)
    result = shop.cloud.invoker.invoke("ChannelSyncFunction", {"Records": [sqs_record(message, arn)]})
    # A batch whose every record failed fails the invocation (Powertools): the queue redelivers it.
    assert not result.ok
    assert "All records failed processing" in str(result.error)
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []  # held 120 s
    held = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert held["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert [r["status"] for r in shop.order(WOO)["refunds"]] == ["pending"]
    assert len(replay.sent) == 1
