"""Shopify's EventBridge events read into intake messages (oms.shopify_event_source) and the shop
that names the store (oms.services.shopify_event_intake): pure, with in-memory ports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oms.errors import BadRequest, NotFound
from oms.intake_message import IntakeMessage
from oms.services.shopify_event_intake import REFRESH_SECONDS, ShopifyEventIntake
from oms.shopify_event_source import read_event
from tests.unit.builders import NOW


def event(metadata: dict[str, Any] | None = None, payload: Any = None) -> dict[str, Any]:
    return {
        "id": "eb-1",
        "detail-type": "shopifyWebhook",
        "source": "aws.partner/shopify.com/1/orders",
        "detail": {
            "payload": {"id": 820982911946154508, "line_items": []} if payload is None else payload,
            "metadata": {
                "X-Shopify-Topic": "orders/create",
                "x-shopify-shop-domain": "Acme.myshopify.com",
                "X-Shopify-Event-Id": "evt-1",
                "X-Shopify-Triggered-At": "2026-12-03T07:00:00.5+01:00",
                **(metadata or {}),
            },
        },
    }


class Shops:
    def __init__(self) -> None:
        self.shops: dict[str, str] = {}
        self.reads = 0

    def shopify_shops(self) -> dict[str, str]:
        self.reads += 1
        return dict(self.shops)


class Queue:
    def __init__(self) -> None:
        self.sent: list[IntakeMessage] = []

    def enqueue(self, message: IntakeMessage) -> str:
        self.sent.append(message)
        return f"m{len(self.sent)}"


def test_an_event_reads_as_the_webhook_it_stands_for_whatever_the_case_of_its_headers() -> None:
    read = read_event(event())
    assert (read.shop_domain, read.topic, read.event_id) == ("acme.myshopify.com", "orders/create", "evt-1")
    assert read.triggered_at == "2026-12-03T06:00:00.500000Z"
    assert json.loads(read.body) == {"id": 820982911946154508, "line_items": []}


@pytest.mark.parametrize(
    "broken",
    [
        {"detail": "text"},
        {"detail": {"payload": {"id": 1}}},
        {"detail": {"metadata": {"X-Shopify-Topic": "orders/create"}, "payload": ["not", "an", "order"]}},
        event({"X-Shopify-Topic": ""}),
        event({"x-shopify-shop-domain": None}),
    ],
)
def test_an_event_that_is_not_a_shopify_delivery_is_a_bad_request(broken: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        read_event(broken)


def test_the_shop_names_the_store_and_the_order_is_queued_under_shopifys_event_id() -> None:
    shops, queue = Shops(), Queue()
    shops.shops["acme.myshopify.com"] = "acme"
    intake = ShopifyEventIntake(shops, queue, clock=lambda: 100.0)
    received = intake.receive(event(), NOW)
    assert (received.status, received.store_id, received.message_id) == ("queued", "acme", "m1")
    (message,) = queue.sent
    assert (message.channel, message.store_id, message.topic) == ("shopify", "acme", "orders/create")
    assert (message.event_id, message.channel_order_id) == ("evt-1", "820982911946154508")
    assert message.triggered_at == "2026-12-03T06:00:00.500000Z"
    ignored = intake.receive(event({"X-Shopify-Topic": "products/update"}), NOW)
    assert (ignored.status, len(queue.sent)) == ("ignored", 1)
    assert shops.reads == 1  # the store list was read once


def test_a_shop_not_registered_is_refused_and_the_store_list_is_read_again_only_after_a_while() -> None:
    shops, queue = Shops(), Queue()
    now = {"t": 0.0}
    intake = ShopifyEventIntake(shops, queue, clock=lambda: now["t"])
    with pytest.raises(NotFound):
        intake.receive(event(), NOW)
    with pytest.raises(NotFound):
        intake.receive(event(), NOW)
    assert shops.reads == 1
    shops.shops["acme.myshopify.com"] = "acme"  # staff register the store
    now["t"] = REFRESH_SECONDS
    assert intake.receive(event(), NOW).status == "queued"
    assert shops.reads == 2


def test_an_order_topic_without_an_order_id_is_a_bad_request() -> None:
    shops = Shops()
    shops.shops["acme.myshopify.com"] = "acme"
    intake = ShopifyEventIntake(shops, Queue())
    with pytest.raises(BadRequest):
        intake.receive(event(payload={"name": "#1001"}), NOW)
