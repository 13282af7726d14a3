"""Telling the store a shipment left: Shopify fulfillments and WooCommerce notes, replayed from
recorded exchanges, through the channel sync function with its queue, retries and idempotency."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from oms_local.samples import fixture, shopify_delivery, woocommerce_delivery, woocommerce_order
from tests.replay import Replay, recorded
from tests.stack import Stack, redelivered

SHOP_SECRET = "push-shop-webhook-secret"
WOO_SECRET = "push-woo-webhook-secret"
# WooCommerce REST keys look like this: ck_/cs_ and 40 hex digits.
WOO_KEY = "ck_4d2c0a1f9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c"
WOO_KEY_SECRET = "cs_9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6"
WOO_AUTH = "Basic " + base64.b64encode(f"{WOO_KEY}:{WOO_KEY_SECRET}".encode()).decode()


def register(stack: Stack, store: dict[str, Any]) -> None:
    status, body = stack.api("POST", "/stores", store)
    assert status == 201, body


def channel_sync(stack: Stack, replay: Replay) -> None:
    """The channel sync function talks to the recorded exchanges instead of the network."""
    stack.cloud.invoker.load("ChannelSyncFunction").service.transport = replay  # type: ignore[attr-defined]


def test_a_shipped_shopify_order_becomes_one_fulfillment_with_tracking_despite_an_outage(
    full_shop: Stack,
) -> None:
    shop = full_shop
    register(
        shop,
        {
            "store_id": "push-shop",
            "channel": "shopify",
            "name": "Push shop",
            "webhook_secret": SHOP_SECRET,
            "shop_domain": "push-shop.myshopify.com",
            "api_credentials": {"access_token": "shpat_replay_token"},
            "settings": {"auto_fulfil": True, "location_priority": ["wh-east"]},
        },
    )
    replay = Replay.of("shopify-fulfillment")
    replay.fail_at = {0: 503}  # Shopify is down for the first attempt
    channel_sync(shop, replay)
    payload = fixture("shopify/orders-create.json")
    payload["financial_status"] = "paid"
    delivery = shopify_delivery(
        payload, store_id="push-shop", secret=SHOP_SECRET, shop_domain="push-shop.myshopify.com"
    )
    status, _ = shop.deliver(delivery)
    assert status == 202

    order = shop.order("push-shop.450789469")
    assert order["status"] == "shipped"  # the outage never held the order back
    assert replay.done()
    _, body = shop.api("GET", "/orders/push-shop.450789469/shipments")
    (shipment,) = body["shipments"]
    label = shipment["label"]
    assert replay.sent[-1]["json"]["variables"]["fulfillment"]["trackingInfo"] == {
        "number": label["tracking_number"],
        "url": label["tracking_url"],
        "company": label["carrier"],
    }
    asked = [r["json"]["query"].split("(")[0].split()[-1] for r in replay.sent]
    # One retry of the read, one fulfillment.
    assert asked == ["FulfillmentOrders", "FulfillmentOrders", "FulfillmentCreate"]
    assert shop.queue_depth("ChannelSyncQueue") == 0
    assert shop.queue_depth("ChannelSyncDLQ") == 0

    # The same ShipmentShipped delivered again: the push already happened, nothing is sent.
    shipped = shop.events.of_type("ShipmentShipped", "push-shop.450789469")
    assert len(shipped) == 1
    again = redelivered(shipped[0])
    result = shop.cloud.invoker.invoke("ChannelSyncFunction", again)
    assert result.ok
    assert result.value == {"batchItemFailures": []}
    assert len(replay.sent) == 3


def test_a_fulfillment_shopify_refuses_is_noted_on_the_order_for_staff_and_not_retried(
    full_shop: Stack,
) -> None:
    shop = full_shop
    register(
        shop,
        {
            "store_id": "held-shop",
            "channel": "shopify",
            "name": "Held shop",
            "webhook_secret": SHOP_SECRET,
            "shop_domain": "held-shop.myshopify.com",
            "api_credentials": {"access_token": "shpat_replay_token"},
            "settings": {"auto_fulfil": True, "location_priority": ["wh-east"]},
        },
    )
    recording = recorded("shopify-fulfillment")["exchanges"]
    read, create = copy.deepcopy(recording[0]), copy.deepcopy(recording[1])
    for exchange in (read, create):
        exchange["request"]["url"] = exchange["request"]["url"].replace("push-shop", "held-shop")
    create["response"]["json"]["data"]["fulfillmentCreate"] = {
        "fulfillment": None,
        "userErrors": [{"field": ["fulfillment"], "message": "Fulfillment order is on hold."}],
    }
    replay = Replay([read, create])
    channel_sync(shop, replay)
    payload = fixture("shopify/orders-create.json")
    payload["financial_status"] = "paid"
    delivery = shopify_delivery(
        payload, store_id="held-shop", secret=SHOP_SECRET, shop_domain="held-shop.myshopify.com"
    )
    assert shop.deliver(delivery)[0] == 202

    order = shop.order("held-shop.450789469")
    assert order["status"] == "shipped"
    assert replay.done()
    assert len(replay.sent) == 2  # asked once: a refusal is not retried
    problems = [n["text"] for n in order["notes"] if "did not take shipment" in n["text"]]
    assert len(problems) == 1, order["notes"]
    assert "Fulfillment order is on hold." in problems[0]
    assert "fulfil it there by hand" in problems[0]
    assert shop.queue_depth("ChannelSyncDLQ") == 0


def test_a_woocommerce_push_retries_only_the_step_that_failed(full_shop: Stack) -> None:
    shop = full_shop
    register(
        shop,
        {
            "store_id": "push-woo",
            "channel": "woocommerce",
            "name": "Push Woo",
            "webhook_secret": WOO_SECRET,
            "site_url": "https://push-woo.example.com",
            "api_credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_KEY_SECRET},
            "settings": {"location_priority": ["wh-west"]},
        },
    )
    woo = woocommerce_order(4711, skus={"Bar3": 1, "WOO-SINGLE": 2})
    assert (
        shop.deliver(
            woocommerce_delivery(
                woo, store_id="push-woo", secret=WOO_SECRET, site_url="https://push-woo.example.com"
            )
        )[0]
        == 202
    )
    _, body = shop.api("GET", "/orders/push-woo.4711/shipments")
    (shipment,) = body["shipments"]
    sid = shipment["shipment_id"]
    assert shop.api("POST", f"/shipments/{sid}/label", {})[0] == 201
    _, labelled = shop.api("GET", f"/shipments/{sid}")
    number = labelled["label"]["tracking_number"]

    completed = copy.deepcopy(fixture("woocommerce/order.json"))
    completed.update(id=4711, status="completed")
    note = {
        "id": 281,
        "author": "WooCommerce",
        "date_created": "2026-11-22T06:00:00",
        "date_created_gmt": "2026-11-22T06:00:00",
        "note": f"3 item(s) shipped with Sandbox Post ground. Tracking number: {number} "
        f"(https://sandbox-post.example/track/{number})",
        "customer_note": True,
    }
    orders = "https://push-woo.example.com/wp-json/wc/v3/orders/4711"
    replay = Replay(
        [
            {
                "request": {
                    "method": "POST",
                    "url": f"{orders}/notes",
                    "headers": {"authorization": WOO_AUTH},
                    "json": {"note": note["note"], "customer_note": True},
                },
                "response": {"status": 201, "json": note},
            },
            {
                "request": {
                    "method": "PUT",
                    "url": orders,
                    "headers": {"authorization": WOO_AUTH},
                    "json": {"status": "completed"},
                },
                "response": {"status": 200, "json": completed},
            },
        ],
        fail_at={1: 502},  # the note is added, then the status update fails once
    )
    channel_sync(shop, replay)
    status, shipped = shop.api("POST", f"/shipments/{sid}/ship")
    assert (status, shipped["status"]) == (200, "shipped")
    shop.cloud.drain()

    assert replay.done()
    # note, failed PUT, PUT again: the note was not added twice.
    assert [(r["method"], r["url"]) for r in replay.sent] == [
        ("POST", f"{orders}/notes"),
        ("PUT", orders),
        ("PUT", orders),
    ]
    assert shop.order("push-woo.4711")["status"] == "shipped"


def test_a_push_that_keeps_failing_ends_in_the_dlq_and_the_order_is_untouched(full_shop: Stack) -> None:
    shop = full_shop
    register(
        shop,
        {
            "store_id": "down-woo",
            "channel": "woocommerce",
            "name": "Down Woo",
            "webhook_secret": WOO_SECRET,
            "site_url": "https://down-woo.example.com",
            "api_credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_KEY_SECRET},
        },
    )
    woo = woocommerce_order(4712, skus={"WOO-SINGLE": 1})
    assert (
        shop.deliver(
            woocommerce_delivery(
                woo, store_id="down-woo", secret=WOO_SECRET, site_url="https://down-woo.example.com"
            )
        )[0]
        == 202
    )
    _, body = shop.api("GET", "/orders/down-woo.4712/shipments")
    sid = body["shipments"][0]["shipment_id"]
    replay = Replay([], fail_at=dict.fromkeys(range(20), 503))
    channel_sync(shop, replay)
    assert shop.api("POST", f"/shipments/{sid}/label", {})[0] == 201
    assert shop.api("POST", f"/shipments/{sid}/ship")[0] == 200
    shop.cloud.drain()

    max_receive = json.loads(
        json.dumps(shop.cloud.stack.resolve(shop.cloud.stack.resources["ChannelSyncQueue"]["Properties"]))
    )["RedrivePolicy"]["maxReceiveCount"]
    assert len(replay.sent) == int(max_receive)
    assert shop.queue_depth("ChannelSyncDLQ") == 1
    order = shop.order("down-woo.4712")
    assert order["status"] == "shipped"


def test_a_note_for_the_customer_becomes_one_woocommerce_customer_note_and_an_internal_one_none(
    full_shop: Stack,
) -> None:
    shop = full_shop
    register(
        shop,
        {
            "store_id": "note-woo",
            "channel": "woocommerce",
            "name": "Note Woo",
            "webhook_secret": WOO_SECRET,
            "site_url": "https://note-woo.example.com",
            "api_credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_KEY_SECRET},
            "settings": {"location_priority": ["wh-west"]},
        },
    )
    woo = woocommerce_order(4712, skus={"Bar3": 1})
    delivery = woocommerce_delivery(
        woo, store_id="note-woo", secret=WOO_SECRET, site_url="https://note-woo.example.com"
    )
    assert shop.deliver(delivery)[0] == 202
    text = "Your order leaves our warehouse on Monday"
    created = {
        "id": 282,
        "author": "WooCommerce",
        "date_created": "2026-11-22T06:00:00",
        "date_created_gmt": "2026-11-22T06:00:00",
        "note": text,
        "customer_note": True,
    }
    notes = "https://note-woo.example.com/wp-json/wc/v3/orders/4712/notes"
    replay = Replay(
        [
            {
                "request": {
                    "method": "POST",
                    "url": notes,
                    "headers": {"authorization": WOO_AUTH},
                    "json": {"note": text, "customer_note": True},
                },
                "response": {"status": 201, "json": created},
            }
        ],
        fail_at={0: 503},  # WooCommerce is down once: the queue retries
    )
    channel_sync(shop, replay)
    for body in (
        {"text": "checked the address by phone", "visibility": "internal"},
        {"text": text, "visibility": "customer"},
    ):
        status, answer = shop.api("POST", "/orders/note-woo.4712/notes", body)
        assert status == 201, answer
    shop.cloud.drain()
    assert replay.done()
    assert [(r["method"], r["url"]) for r in replay.sent] == [("POST", notes), ("POST", notes)]

    # The same OrderNoteAdded again: the note was given to WooCommerce, nothing is sent.
    (added,) = [
        e
        for e in shop.events.of_type("OrderNoteAdded", "note-woo.4712")
        if e["detail"]["visibility"] == "customer"
    ]
    result = shop.cloud.invoker.invoke("ChannelSyncFunction", redelivered(added))
    assert result.ok
    assert result.value == {"batchItemFailures": []}
    assert len(replay.sent) == 2
