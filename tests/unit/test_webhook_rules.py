"""Webhook intake rules (oms.webhooks.receive), with in-memory credentials and queue: signatures,
origins, replay window, and the identity that makes every redelivery one queue message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from oms.errors import OmsError
from oms.intake_message import IntakeMessage
from oms.webhooks import StoreCredentials, WebhookRequest, receive, sign
from oms_local.samples import fixture, shopify_body, woocommerce_body
from tests.unit.builders import NOW
from tests.unit.memory import MemoryQueue

SECRET = "unit-webhook-secret-0123456789"


class Credentials:
    def __init__(self, origin: str | None) -> None:
        self.stored = StoreCredentials(secret=SECRET, origin=origin)
        self.fresh_reads = 0

    def credentials(self, channel: str, store_id: str, *, fresh: bool = False) -> StoreCredentials | None:
        self.fresh_reads += fresh
        return self.stored if store_id == "unit-shop" else None


def shopify(body: bytes | None = None, **headers: str | None) -> WebhookRequest:
    body = body if body is not None else shopify_body(fixture("shopify/orders-create.json"))
    base = {
        "x-shopify-hmac-sha256": sign(SECRET, body),
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": "unit-shop.myshopify.com",
        "x-shopify-event-id": "evt-1",
        "x-shopify-webhook-id": "hook-1",
    }
    for name, value in headers.items():
        key = name.replace("_", "-")
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return WebhookRequest("shopify", "unit-shop", base, body)


def queued(request: WebhookRequest, origin: str | None = "unit-shop.myshopify.com") -> IntakeMessage:
    queue = MemoryQueue()
    answer = receive(request, Credentials(origin), queue, now=NOW, max_age_seconds=3600)
    assert answer.status == 202
    (message,) = queue.messages
    return message


def refused(request: WebhookRequest, origin: str | None = "unit-shop.myshopify.com") -> str:
    queue = MemoryQueue()
    with pytest.raises(OmsError) as error:
        receive(request, Credentials(origin), queue, now=NOW, max_age_seconds=3600)
    assert queue.messages == []
    return error.value.code


def test_the_event_id_is_shopifys_event_id_before_the_webhook_id() -> None:
    assert queued(shopify()).event_id == "evt-1"
    assert queued(shopify(x_shopify_event_id=None)).event_id == "hook-1"


def test_every_delivery_of_one_event_is_the_same_queue_message_and_another_event_is_not() -> None:
    first = queued(shopify(x_shopify_webhook_id="hook-1"))
    retry = queued(shopify(x_shopify_webhook_id="hook-2"))  # Shopify's retry: new webhook id
    assert first.deduplication_id == retry.deduplication_id
    assert first.group_id == retry.group_id == "unit-shop.450789469"
    assert queued(shopify(x_shopify_event_id="evt-2")).deduplication_id != first.deduplication_id


def test_a_woocommerce_delivery_is_identified_by_its_content_since_its_ids_change_on_every_send() -> None:
    body = woocommerce_body(fixture("woocommerce/order.json"))

    def woo(delivery: str, payload: bytes = body) -> WebhookRequest:
        headers = {
            "x-wc-webhook-signature": sign(SECRET, payload),
            "x-wc-webhook-topic": "order.updated",
            "x-wc-webhook-source": "https://shop.example.com/",
            "x-wc-webhook-delivery-id": delivery,
        }
        return WebhookRequest("woocommerce", "unit-shop", headers, payload)

    one = queued(woo("d1"), origin="https://shop.example.com")
    again = queued(woo("d2"), origin="https://shop.example.com")
    assert one.deduplication_id == again.deduplication_id
    other = body.replace(b'"status":"processing"', b'"status":"completed"')
    assert queued(woo("d3", other), origin="https://shop.example.com").event_id != one.event_id


def test_a_delivery_from_another_shop_or_with_no_shop_header_is_refused() -> None:
    assert refused(shopify(x_shopify_shop_domain="evil.myshopify.com")) == "origin_mismatch"
    assert refused(shopify(x_shopify_shop_domain=None)) == "origin_mismatch"
    assert queued(shopify(x_shopify_shop_domain="UNIT-SHOP.myshopify.com")).store_id == "unit-shop"


def test_signatures_must_match_the_exact_bytes() -> None:
    body = shopify_body(fixture("shopify/orders-create.json"))
    assert refused(shopify(body, x_shopify_hmac_sha256=None)) == "missing_signature"
    assert refused(shopify(body + b" ", x_shopify_hmac_sha256=sign(SECRET, body))) == "invalid_signature"
    assert (
        refused(shopify(body, x_shopify_hmac_sha256=sign("another-secret-0123456789", body)))
        == "invalid_signature"
    )


def test_a_mismatch_reads_the_secret_once_more_in_case_it_was_rotated() -> None:
    credentials = Credentials("unit-shop.myshopify.com")
    body = shopify_body(fixture("shopify/orders-create.json"))
    request = shopify(body, x_shopify_hmac_sha256=sign("rotated-secret-0123456789", body))
    with pytest.raises(OmsError):
        receive(request, credentials, MemoryQueue(), now=NOW, max_age_seconds=3600)
    assert credentials.fresh_reads == 1


def test_a_delivery_older_than_the_replay_window_is_refused() -> None:
    old = (NOW - timedelta(hours=2)).isoformat()
    assert refused(shopify(x_shopify_triggered_at=old)) == "stale_delivery"
    recent = (NOW - timedelta(minutes=5)).isoformat()
    assert queued(shopify(x_shopify_triggered_at=recent)).triggered_at is not None


def test_a_shopify_fulfillment_webhook_is_queued_under_its_orders_group() -> None:
    body = shopify_body(fixture("shopify/fulfillment.json"))
    message = queued(shopify(body, x_shopify_topic="fulfillments/create"))
    assert (message.topic, message.group_id) == (
        "fulfillments/create",
        f"unit-shop.{fixture('shopify/fulfillment.json')['order_id']}",
    )


def test_other_topics_are_acknowledged_and_queue_nothing() -> None:
    queue = MemoryQueue()
    answer = receive(
        shopify(x_shopify_topic="products/update"), Credentials(None), queue, now=NOW, max_age_seconds=60
    )
    assert (answer.status, answer.body["status"], queue.messages) == (200, "ignored", [])


def test_an_intake_message_reads_back_from_its_sqs_record_as_it_was_sent() -> None:
    message = queued(shopify())
    record = {
        "body": message.body,
        "messageAttributes": {
            k: {"stringValue": v, "dataType": "String"} for k, v in message.message_attributes().items()
        },
    }
    assert IntakeMessage.from_sqs(record) == message


def padded_to(size: int) -> bytes:
    """A real order body padded (in its note) to exactly ``size`` bytes."""
    payload = fixture("shopify/orders-create.json")
    payload["note"] = ""
    base = len(shopify_body(payload))
    payload["note"] = "x" * (size - base)
    body = shopify_body(payload)
    assert len(body) == size
    return body


def test_a_body_up_to_the_queues_limit_is_taken_and_one_byte_more_is_413() -> None:
    limit = 1_000_000  # SQS takes 1 MiB with the message's attributes; the body stays under it
    assert queued(shopify(padded_to(limit))).body
    assert refused(shopify(padded_to(limit + 1))) == "payload_too_large"


def test_a_delivery_exactly_at_the_replay_window_is_taken_and_a_malformed_time_is_400() -> None:
    edge = (NOW - timedelta(seconds=3600)).isoformat()  # max_age_seconds=3600 in queued()
    assert queued(shopify(x_shopify_triggered_at=edge)).triggered_at == "2026-06-01T11:00:00Z"
    past = (NOW - timedelta(seconds=3601)).isoformat()
    assert refused(shopify(x_shopify_triggered_at=past)) == "stale_delivery"
    assert refused(shopify(x_shopify_triggered_at="yesterday")) == "invalid_header"


def test_ids_and_topics_from_headers_are_cut_to_a_bounded_length() -> None:
    assert queued(shopify(x_shopify_event_id="e" * 300)).event_id == "e" * 200
    queue = MemoryQueue()
    answer = receive(
        shopify(x_shopify_topic="t" * 150), Credentials(None), queue, now=NOW, max_age_seconds=60
    )
    assert answer.body == {"status": "ignored", "topic": "t" * 100}


BIGCOMMERCE_ORIGIN = "stores/abc123def"


def bigcommerce(
    name: str = "store-order-created.json", secret: str | None = SECRET, **changes: object
) -> WebhookRequest:
    payload = fixture(f"bigcommerce/{name}")
    payload["producer"] = str(payload["producer"]).replace("{store_hash}", "abc123def")
    payload.update(changes)
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-oms-webhook-secret"] = secret
    return WebhookRequest("bigcommerce", "unit-shop", headers, body)


def test_a_bigcommerce_callback_with_the_registered_secret_queues_its_order_under_its_scope() -> None:
    message = queued(bigcommerce(), origin=BIGCOMMERCE_ORIGIN)
    assert (message.channel, message.topic, message.channel_order_id) == (
        "bigcommerce",
        "store/order/created",
        "250",
    )
    assert message.group_id == "unit-shop.250"
    status = queued(bigcommerce("store-order-statusUpdated.json"), origin=BIGCOMMERCE_ORIGIN)
    assert (status.topic, status.channel_order_id) == ("store/order/statusUpdated", "250")
    refund = queued(bigcommerce("store-order-refund-created.json"), origin=BIGCOMMERCE_ORIGIN)
    assert refund.topic == "store/order/refund/created"


def test_a_bigcommerce_callback_with_a_forged_or_missing_secret_is_refused_and_queues_nothing() -> None:
    assert (
        refused(bigcommerce(secret="not-the-secret-at-all-0123"), origin=BIGCOMMERCE_ORIGIN)
        == "invalid_signature"
    )
    assert refused(bigcommerce(secret=SECRET + "x"), origin=BIGCOMMERCE_ORIGIN) == "invalid_signature"
    assert refused(bigcommerce(secret=None), origin=BIGCOMMERCE_ORIGIN) == "missing_signature"


def test_a_bigcommerce_callback_from_another_store_is_refused_even_with_the_secret() -> None:
    assert refused(bigcommerce(producer="stores/someoneelse"), origin=BIGCOMMERCE_ORIGIN) == "origin_mismatch"
    # The documented sample's placeholder is no store's hash.
    raw = fixture("bigcommerce/store-order-created.json")
    body = json.dumps(raw).encode()
    request = WebhookRequest("bigcommerce", "unit-shop", {"x-oms-webhook-secret": SECRET}, body)
    assert refused(request, origin=BIGCOMMERCE_ORIGIN) == "origin_mismatch"


def test_bigcommerce_callbacks_are_identified_by_their_whole_body_as_its_hash_is_shared_by_events() -> None:
    created = queued(bigcommerce(), origin=BIGCOMMERCE_ORIGIN)
    again = queued(bigcommerce(), origin=BIGCOMMERCE_ORIGIN)
    assert created.deduplication_id == again.deduplication_id
    # Same documented hash, another event: not a duplicate.
    other = queued(bigcommerce(scope="store/order/updated"), origin=BIGCOMMERCE_ORIGIN)
    assert other.deduplication_id != created.deduplication_id


def test_a_bigcommerce_callback_of_another_scope_or_without_an_order_id_is_answered_without_queueing() -> (
    None
):
    queue = MemoryQueue()
    answer = receive(
        bigcommerce(scope="store/product/updated"),
        Credentials(BIGCOMMERCE_ORIGIN),
        queue,
        now=NOW,
        max_age_seconds=60,
    )
    assert (answer.status, answer.body["status"], queue.messages) == (200, "ignored", [])
    assert refused(bigcommerce(data={"type": "order"}), origin=BIGCOMMERCE_ORIGIN) == "invalid_payload"
    assert (
        refused(bigcommerce(data={"type": "order", "id": "../../etc"}), origin=BIGCOMMERCE_ORIGIN)
        == "invalid_payload"
    )
