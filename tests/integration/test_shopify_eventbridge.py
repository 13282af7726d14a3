"""Shopify's webhooks through Amazon EventBridge (template parameter ShopifyEventSourceName): the
partner event source's bus, its rule, the shopify-events queue and function, onto the same intake as
signed webhooks. Moto stands in for AWS and for Shopify's side (the local stack makes the partner
event source, as Shopify does when its app subscribes; the test puts Shopify's events on its bus)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from oms_local.cloud import LocalCloud
from oms_local.samples import fixture
from oms_local.seed import seed
from tests.stack import FULFILMENT, Stack

SOURCE = "aws.partner/shopify.com/1234567/oms-orders"


@pytest.fixture
def bridged() -> Iterator[Stack]:
    with mock_aws():
        stack = Stack(LocalCloud(fast_retry=True, parameters={"ShopifyEventSourceName": SOURCE}))
        seed(stack.api)
        stack.cloud.pause(FULFILMENT)
        yield stack


def put_from_shopify(
    stack: Stack, payload: dict[str, Any], *, topic: str, event_id: str, shop: str = "demo-shop.myshopify.com"
) -> None:
    detail = {
        "payload": payload,
        "metadata": {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Order-Id": payload.get("id"),
            "X-Shopify-Test": "false",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-API-Version": "2026-10",
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": "2026-12-03T07:00:00.000000Z",
        },
    }
    entry = {
        "Source": SOURCE,
        "DetailType": "shopifyWebhook",
        "Detail": json.dumps(detail),
        "EventBusName": SOURCE,
    }
    # What AWS does with Shopify's partner event: puts it on the bus of its event source (moto's
    # PutPartnerEvents would put it on the default bus, so the event is put on the bus directly).
    stack.cloud.clients["events"].put_events(Entries=[entry])
    stack.cloud.drain()


def test_an_order_from_shopifys_event_source_is_taken_once_like_a_webhook(bridged: Stack) -> None:
    payload = fixture("shopify/orders-create.json")
    payload["financial_status"] = "paid"
    put_from_shopify(bridged, payload, topic="orders/create", event_id="5f3a9b2e-eventbridge-1")
    order = bridged.order("demo-shopify.450789469")
    assert order["status"] == "confirmed"
    assert order["channel"] == "shopify"

    # EventBridge delivers at least once; the same Shopify event again changes nothing.
    put_from_shopify(bridged, payload, topic="orders/create", event_id="5f3a9b2e-eventbridge-1")
    again = bridged.order("demo-shopify.450789469")
    assert again["version"] == order["version"]
    confirmed = bridged.events.of_type("OrderConfirmed", "demo-shopify.450789469")
    assert len(confirmed) == 1
    assert bridged.queue_depth("ShopifyEventsDLQ") == 0


def test_a_topic_that_carries_no_order_is_ignored(bridged: Stack) -> None:
    put_from_shopify(
        bridged,
        fixture("shopify/abandoned-checkout.json"),
        topic="checkouts/create",
        event_id="evt-checkout-1",
    )
    assert bridged.queue_depth("ShopifyEventsDLQ") == 0
    assert bridged.queue_depth("IntakeDLQ") == 0
    assert bridged.api("GET", "/orders")[1]["orders"] == []


def test_an_event_from_a_shop_not_registered_is_kept_in_the_dlq_not_dropped(bridged: Stack) -> None:
    payload = fixture("shopify/orders-create.json")
    put_from_shopify(
        bridged, payload, topic="orders/create", event_id="evt-stranger-1", shop="stranger.myshopify.com"
    )
    assert bridged.queue_depth("ShopifyEventsDLQ") == 1
    assert bridged.api("GET", "/orders")[1]["orders"] == []


def test_without_the_parameter_the_stack_has_no_eventbridge_intake(stack: Stack) -> None:
    names = set(stack.cloud.stack.active())
    assert "ShopifyEventsFunction" not in names
    assert "ShopifyPartnerBus" not in names
    assert "WebhookFunction" in names
