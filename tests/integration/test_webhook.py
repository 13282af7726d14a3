"""Signed intake: what is accepted, what is refused, and that refusals leave no trace."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from oms_local.samples import (
    fixture,
    shopify_delivery,
    woocommerce_delivery,
    woocommerce_order,
    woocommerce_ping,
)
from oms_local.seed import WOO_STORE
from tests.stack import Stack


@pytest.fixture
def shop(shared_shop: Stack) -> Stack:
    """The module's seeded stack with an empty intake queue."""
    shared_shop.empty_queue("IntakeQueue")
    return shared_shop


def _shopify(secret: str, **kw: object) -> object:
    return shopify_delivery(
        fixture("shopify/orders-create.json"), store_id="demo-shopify", secret=secret, **kw
    )


def _assert_no_trace(shop: Stack, before: int) -> None:
    assert shop.queue_depth("IntakeQueue") == 0
    shop.cloud.drain()
    assert len(shop.items()) == before  # nothing stored


def test_a_signed_shopify_delivery_is_queued_and_answered_202(shop: Stack, shopify_secret: str) -> None:
    status, body = shop.send(_shopify(shopify_secret, triggered_at=datetime.now(UTC)))
    assert status == 202
    assert body["status"] == "accepted"
    assert body["message_id"]
    assert shop.queue_depth("IntakeQueue") == 1


def test_a_signed_woocommerce_delivery_is_queued(shop: Stack, woo_secret: str) -> None:
    status, body = shop.send(
        woocommerce_delivery(fixture("woocommerce/order.json"), store_id="demo-woo", secret=woo_secret)
    )
    assert (status, body["status"]) == (202, "accepted")
    assert shop.queue_depth("IntakeQueue") == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"x_shopify_hmac_sha256": None}, 401, "missing_signature"),
        ({"x_shopify_hmac_sha256": "bm90IHRoZSByaWdodCBzaWduYXR1cmU="}, 401, "invalid_signature"),
        ({"x_shopify_hmac_sha256": "garbage ☃"}, 401, "invalid_signature"),
        ({"x_shopify_shop_domain": "someone-else.myshopify.com"}, 401, "origin_mismatch"),
    ],
)
def test_bad_shopify_signatures_get_401_and_leave_no_trace(
    shop: Stack, shopify_secret: str, change: dict[str, str | None], status: int, code: str
) -> None:
    before = len(shop.items())
    got, body = shop.send(_shopify(shopify_secret).with_headers(**change))  # type: ignore[attr-defined]
    assert (got, body["code"]) == (status, code)
    assert body["message"]
    _assert_no_trace(shop, before)


def test_a_tampered_body_fails_the_signature(shop: Stack, shopify_secret: str) -> None:
    before = len(shop.items())
    good = _shopify(shopify_secret)
    tampered = type(good)(
        good.channel,
        good.store_id,
        good.headers,  # type: ignore[attr-defined]
        good.body.replace(b'"199.00"', b'"1.00"'),
    )  # type: ignore[attr-defined]
    status, body = shop.send(tampered)
    assert (status, body["code"]) == (401, "invalid_signature")
    _assert_no_trace(shop, before)


def test_a_truncated_body_fails_the_signature(shop: Stack, shopify_secret: str) -> None:
    good = _shopify(shopify_secret)
    cut = type(good)(good.channel, good.store_id, good.headers, good.body[:-10])  # type: ignore[attr-defined]
    assert shop.send(cut)[0] == 401


def test_a_valid_signature_for_one_store_is_refused_by_another(shop: Stack, shopify_secret: str) -> None:
    """Store A's delivery replayed to store B's URL: B's secret does not match."""
    delivery = woocommerce_delivery(
        fixture("woocommerce/order.json"), store_id="demo-woo", secret=shopify_secret
    )
    status, body = shop.send(delivery)
    assert (status, body["code"]) == (401, "invalid_signature")


def test_stale_shopify_deliveries_are_refused(shop: Stack, shopify_secret: str) -> None:
    old = datetime.now(UTC) - timedelta(hours=6)  # the window is 5 h (Shopify retries for 4 h)
    status, body = shop.send(_shopify(shopify_secret, triggered_at=old))
    assert (status, body["code"]) == (401, "stale_delivery")
    recent_retry = datetime.now(UTC) - timedelta(hours=3, minutes=50)
    assert shop.send(_shopify(shopify_secret, triggered_at=recent_retry))[0] == 202


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/webhooks/magento/demo-shopify", "unknown_channel"),
        ("/webhooks/bigcommerce/demo-shopify", "unknown_store"),
        ("/webhooks/shopify/no-such-store", "unknown_store"),
        ("/webhooks/woocommerce/demo-shopify", "unknown_store"),
        ("/webhooks/shopify/Bad_Id", "unknown_store"),
    ],
)
def test_unknown_channels_and_stores_get_404(shop: Stack, shopify_secret: str, path: str, code: str) -> None:
    delivery = _shopify(shopify_secret)
    status, _, body = shop.api.request(
        "POST",
        path,
        headers=delivery.headers,  # type: ignore[attr-defined]
        raw_body=delivery.body,
    )  # type: ignore[attr-defined]
    assert (status, body["code"]) == (404, code)
    assert shop.queue_depth("IntakeQueue") == 0


def test_woocommerce_ping_is_answered_200_and_queues_nothing(shop: Stack) -> None:
    status, body = shop.send(woocommerce_ping("demo-woo"))
    assert (status, body) == (200, {"status": "pong"})
    assert shop.queue_depth("IntakeQueue") == 0


def test_ping_to_an_unknown_store_is_404(shop: Stack) -> None:
    assert shop.send(woocommerce_ping("nobody-here"))[0] == 404


def test_other_topics_are_acknowledged_and_ignored(shop: Stack, shopify_secret: str) -> None:
    status, body = shop.send(_shopify(shopify_secret, topic="products/update"))
    assert (status, body["status"]) == (200, "ignored")
    assert shop.queue_depth("IntakeQueue") == 0


def test_signed_garbage_is_a_400_not_a_crash(shop: Stack, shopify_secret: str) -> None:
    from oms.webhooks import sign

    for body in (b"not json", b"[1,2]", b'{"no_id": true}', b'{"id": "../../etc"}', b"\xff\xfe"):
        delivery = _shopify(shopify_secret)
        bad = type(delivery)(
            delivery.channel,
            delivery.store_id,  # type: ignore[attr-defined]
            {**delivery.headers, "x-shopify-hmac-sha256": sign(shopify_secret, body)},  # type: ignore[attr-defined]
            body,
        )
        status, result = shop.send(bad)
        assert status == 400, (body, result)
        assert result["code"] == "invalid_payload"
    assert shop.queue_depth("IntakeQueue") == 0


def test_the_signature_is_checked_over_the_raw_bytes_of_a_base64_body(shop: Stack, woo_secret: str) -> None:
    """API Gateway base64-encodes bodies it does not treat as text; the bytes are what was signed."""
    delivery = woocommerce_delivery(
        woocommerce_order(9001, skus={"Bar3": 1}), store_id="demo-woo", secret=woo_secret
    )
    headers = {**delivery.headers, "content-type": "application/octet-stream"}
    from oms_local.lambda_events import http_event

    event = http_event(
        "POST",
        delivery.path,
        route_key="POST /webhooks/{channel}/{store_id}",
        headers=headers,
        body=delivery.body,
        path_parameters={"channel": "woocommerce", "store_id": "demo-woo"},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == delivery.body
    result = shop.cloud.invoker.invoke("WebhookFunction", event)
    assert result.value["statusCode"] == 202


def test_woocommerce_origin_is_checked_against_the_registered_site(shop: Stack) -> None:
    delivery = woocommerce_delivery(
        fixture("woocommerce/order.json"),
        store_id="demo-woo",
        secret=str(WOO_STORE["webhook_secret"]),
        site_url="https://evil.example.com",
    )
    status, body = shop.send(delivery)
    assert (status, body["code"]) == (401, "origin_mismatch")
