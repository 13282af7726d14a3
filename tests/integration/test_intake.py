"""Recording orders: exactly once, in the right state, with stock reserved all-or-nothing."""

from __future__ import annotations

from typing import Any

import pytest

from oms_local.samples import (
    fixture,
    shopify_delivery,
    shopify_order,
    woocommerce_delivery,
    woocommerce_order,
)
from tests.stack import FULFILMENT, Stack

ADDRESS = {
    "name": "Ada L",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country_code": "US",
}

SHOP = "demo-shopify"


@pytest.fixture
def shop(shared_shop: Stack) -> Stack:
    """One seeded stack for the module; each test uses its own orders and SKUs. Fulfilment is
    paused: these tests look at orders as intake leaves them."""
    shared_shop.cloud.pause(FULFILMENT)
    return shared_shop


WOO = "demo-woo"


def shopify(
    stack: Stack,
    secret: str,
    payload: dict[str, Any],
    topic: str = "orders/create",
    event_id: str | None = None,
) -> None:
    status, body = stack.deliver(
        shopify_delivery(payload, store_id=SHOP, secret=secret, topic=topic, event_id=event_id)
    )
    assert status == 202, body


def woo(stack: Stack, secret: str, payload: dict[str, Any], topic: str = "order.created") -> None:
    status, body = stack.deliver(woocommerce_delivery(payload, store_id=WOO, secret=secret, topic=topic))
    assert status == 202, body


def reserved(stack: Stack, sku: str) -> tuple[int, int, int]:
    level = stack.stock(sku)
    return level["on_hand"], level["reserved"], level["available"]


def transitions(order: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e.get("from_status"), e["to_status"]) for e in order["timeline"]]


def test_shopify_fixture_becomes_a_confirmed_order_equal_to_the_payload(
    shop: Stack, shopify_secret: str
) -> None:
    payload = fixture("shopify/orders-create.json")
    payload["financial_status"] = "paid"
    shopify(shop, shopify_secret, payload)
    order = shop.order(f"{SHOP}.450789469")
    assert order["status"] == "confirmed"
    assert order["currency"] == "USD"
    assert [(line["sku"], line["quantity"], line["unit_price"]["amount"]) for line in order["lines"]] == [
        (li["sku"], li["quantity"], li["price"]) for li in payload["line_items"]
    ]
    assert order["totals"]["total"] == {"amount": payload["total_price"], "currency": "USD"}
    assert order["totals"]["subtotal"]["amount"] == payload["subtotal_price"]
    assert order["totals"]["tax"]["amount"] == payload["total_tax"]
    assert order["reservation"]["reserved"] == {"IPOD2008GREEN": 1, "IPOD2008RED": 1, "IPOD2008BLACK": 1}
    assert reserved(shop, "IPOD2008GREEN") == (25, 1, 24)
    assert transitions(order) == [(None, "placed"), ("placed", "confirmed")]
    assert [
        e["detail-type"] for e in shop.events.all() if e["detail"].get("order_id") == order["order_id"]
    ] == ["OrderPlaced", "OrderConfirmed"]


def test_woocommerce_fixture_with_a_line_without_sku_goes_on_hold_and_reserves_nothing(
    shop: Stack, woo_secret: str
) -> None:
    payload = fixture("woocommerce/order.json")
    woo(shop, woo_secret, payload)
    order = shop.order(f"{WOO}.727")
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [(None, 2), ("Bar3", 1)]
    assert order["totals"]["total"]["amount"] == payload["total"]
    assert order["status"] == "on_hold"
    assert order["hold"]["reason"] == "unknown_sku"
    assert order["hold"]["short_lines"] == [
        {
            "sku": None,
            "requested": 2,
            "available": None,
            "line_id": "315",
            "name": "Woo Single #1",
            "variant_key": "p93",
        }
    ]
    assert f"PUT /stores/{WOO}/variants/{{key}} for p93" in order["hold"]["note"]
    assert f"POST /orders/{WOO}.727/retry" in order["hold"]["note"]
    assert order["reservation"]["reserved"] == {}
    assert reserved(shop, "Bar3") == (30, 0, 30)
    held = shop.events.of_type("OrderOnHold", order["order_id"])
    assert len(held) == 1
    assert held[0]["detail"]["hold"]["reason"] == "unknown_sku"


def test_woocommerce_order_with_known_skus_is_confirmed(shop: Stack, woo_secret: str) -> None:
    a, b = shop.new_sku("WA", wh_west=30), shop.new_sku("WB", wh_west=5)
    woo(shop, woo_secret, woocommerce_order(800, skus={a: 2, b: 1}))
    order = shop.order(f"{WOO}.800")
    assert order["status"] == "confirmed"
    assert reserved(shop, a) == (30, 2, 28)
    assert reserved(shop, b) == (5, 1, 4)


def test_the_same_webhook_three_times_is_one_order_one_reservation_one_event(
    shop: Stack, shopify_secret: str
) -> None:
    sku = shop.new_sku("DUP", wh_east=25)
    payload = shopify_order(5001, skus={sku: 2})
    for _ in range(3):  # Shopify's retries carry the same event id
        shopify(shop, shopify_secret, payload, event_id="evt-5001")
    for topic in ("orders/create", "orders/paid", "orders/updated"):  # other topics, same state
        shopify(shop, shopify_secret, payload, topic=topic)
    orders = [i for i in shop.items() if i["PK"]["S"] == f"ORDER#{SHOP}.5001"]
    assert len(orders) == 1
    assert reserved(shop, sku) == (25, 2, 23)
    assert len(shop.events.of_type("OrderConfirmed", f"{SHOP}.5001")) == 1
    assert len(shop.events.of_type("OrderPlaced", f"{SHOP}.5001")) == 1
    assert shop.order(f"{SHOP}.5001")["version"] == 1


def test_a_redelivered_sqs_message_changes_nothing(shop: Stack, shopify_secret: str) -> None:
    """Lambda may deliver one message twice (at least once): the second run is a no-op."""
    sku = shop.new_sku("REDELIVER", wh_east=25)
    status, _ = shop.send(
        shopify_delivery(shopify_order(5002, skus={sku: 1}), store_id=SHOP, secret=shopify_secret)
    )
    assert status == 202
    sqs = shop.cloud.clients["sqs"]
    url = shop.cloud.ref("IntakeQueue")
    message = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"])[
        "Messages"
    ][0]
    from oms_local.lambda_events import sqs_record

    event = {"Records": [sqs_record(message, shop.cloud.att("IntakeQueue", "Arn"))]}
    first = shop.cloud.invoker.invoke("IntakeFunction", event)
    second = shop.cloud.invoker.invoke("IntakeFunction", event)
    assert first.ok
    assert second.ok
    assert first.value == second.value == {"batchItemFailures": []}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    shop.cloud.drain()
    assert reserved(shop, sku) == (25, 1, 24)
    assert len(shop.events.of_type("OrderConfirmed", f"{SHOP}.5002")) == 1


def test_an_update_before_its_create_ends_with_one_order_one_reservation_one_event(
    shop: Stack, shopify_secret: str
) -> None:
    sku = shop.new_sku("EARLY", wh_east=20)
    created = shopify_order(5003, skus={sku: 1}, updated_at="2026-01-01T10:00:00-05:00")
    updated = shopify_order(5003, skus={sku: 1}, updated_at="2026-01-01T10:05:00-05:00")
    updated["note"] = "leave at the door"
    shopify(shop, shopify_secret, updated, topic="orders/updated")
    shopify(shop, shopify_secret, created, topic="orders/create")
    order = shop.order(f"{SHOP}.5003")
    assert order["status"] == "confirmed"
    assert order["note"] == "leave at the door"  # the older create did not overwrite newer state
    assert transitions(order) == [(None, "placed"), ("placed", "confirmed")]
    assert reserved(shop, sku) == (20, 1, 19)
    assert len(shop.events.of_type("OrderConfirmed", f"{SHOP}.5003")) == 1
    assert len([i for i in shop.items() if i["PK"]["S"] == f"ORDER#{SHOP}.5003"]) == 1


def test_a_stale_update_does_not_overwrite_newer_state(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("STALE", wh_east=5)
    newer = shopify_order(5004, skus={sku: 1}, updated_at="2026-02-01T12:00:00Z")
    older = shopify_order(5004, skus={sku: 1}, updated_at="2026-02-01T11:00:00Z")
    older["shipping_address"]["city"] = "Somewhere Else"
    shopify(shop, shopify_secret, newer)
    shopify(shop, shopify_secret, older, topic="orders/updated")
    order = shop.order(f"{SHOP}.5004")
    assert order["shipping_address"]["city"] == "Louisville"
    assert order["channel_updated_at"] == "2026-02-01T12:00:00Z"


def test_pending_payment_waits_then_confirms_when_paid(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("PAYLATER", wh_east=25)
    pending = shopify_order(
        5005, skus={sku: 3}, financial_status="pending", updated_at="2026-03-01T10:00:00Z"
    )
    shopify(shop, shopify_secret, pending)
    order = shop.order(f"{SHOP}.5005")
    assert order["status"] == "awaiting_payment"
    assert reserved(shop, sku) == (25, 0, 25)  # nothing held before payment
    paid = shopify_order(5005, skus={sku: 3}, updated_at="2026-03-01T10:30:00Z")
    shopify(shop, shopify_secret, paid, topic="orders/paid")
    order = shop.order(f"{SHOP}.5005")
    assert order["status"] == "confirmed"
    assert transitions(order) == [
        (None, "placed"),
        ("placed", "awaiting_payment"),
        ("awaiting_payment", "confirmed"),
    ]
    assert reserved(shop, sku) == (25, 3, 22)


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_failed_or_voided_payment_cancels_and_reserves_nothing(
    shop: Stack, woo_secret: str, status: str
) -> None:
    sku = shop.new_sku("FAIL", wh_west=30)
    order_id = 801 if status == "failed" else 803
    woo(shop, woo_secret, woocommerce_order(order_id, status=status, skus={sku: 1}))
    order = shop.order(f"{WOO}.{order_id}")
    assert order["status"] == "cancelled"
    assert reserved(shop, sku) == (30, 0, 30)


def test_partially_paid_goes_to_payment_review(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("PARTIAL", wh_east=25)
    shopify(shop, shopify_secret, shopify_order(5006, skus={sku: 1}, financial_status="partially_paid"))
    order = shop.order(f"{SHOP}.5006")
    assert (order["status"], order["hold"]["reason"]) == ("on_hold", "payment_review")
    assert reserved(shop, sku) == (25, 0, 25)


def test_out_of_stock_puts_the_order_on_hold_with_the_short_lines_and_reserves_nothing(
    shop: Stack, shopify_secret: str
) -> None:
    plenty, scarce = shop.new_sku("PLENTY", wh_east=25), shop.new_sku("SCARCE", wh_east=1)
    shopify(shop, shopify_secret, shopify_order(5007, skus={plenty: 1, scarce: 2}))
    order = shop.order(f"{SHOP}.5007")
    assert order["status"] == "on_hold"
    assert order["hold"] == {
        "reason": "out_of_stock",
        "note": "short of stock: released by itself when the stock is counted in (PUT /stock/{sku};"
        f" oldest held orders first), or by POST /orders/{SHOP}.5007/retry or the channel's next update",
        "short_lines": [
            {
                "sku": scarce,
                "requested": 2,
                "available": 1,
                "line_id": None,
                "name": None,
                "variant_key": None,
            }
        ],
    }
    assert reserved(shop, plenty) == (25, 0, 25)  # all or nothing
    assert reserved(shop, scarce) == (1, 0, 1)
    alerts = [e for e in shop.events.of_type("OrderOnHold") if e["detail"]["order_id"] == f"{SHOP}.5007"]
    assert len(alerts) == 1


def test_an_unregistered_sku_is_an_unknown_sku_hold_not_a_crash(shop: Stack, shopify_secret: str) -> None:
    known = shop.new_sku("KNOWN", wh_east=3)
    shopify(shop, shopify_secret, shopify_order(5008, skus={"NOT-IN-CATALOGUE": 1, known: 1}))
    order = shop.order(f"{SHOP}.5008")
    assert order["hold"]["reason"] == "unknown_sku"
    assert [(s["sku"], s["requested"], s["available"]) for s in order["hold"]["short_lines"]] == [
        ("NOT-IN-CATALOGUE", 1, None)
    ]
    assert "count them in (PUT /stock/{sku})" in order["hold"]["note"]
    assert reserved(shop, known) == (3, 0, 3)
    assert shop.queue_depth("IntakeDLQ") == 0


def test_a_hold_is_retried_when_the_channel_updates_the_order(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("RESTOCK", wh_east=1)
    shopify(shop, shopify_secret, shopify_order(5009, skus={sku: 2}, updated_at="2026-04-01T00:00:00Z"))
    assert shop.order(f"{SHOP}.5009")["status"] == "on_hold"
    shop.set_stock(sku, wh_east=5)
    shopify(
        shop,
        shopify_secret,
        shopify_order(5009, skus={sku: 2}, updated_at="2026-04-01T01:00:00Z"),
        topic="orders/updated",
    )
    order = shop.order(f"{SHOP}.5009")
    assert order["status"] == "confirmed"
    assert reserved(shop, sku) == (5, 2, 3)


def test_a_channel_cancellation_releases_the_reservation_once(shop: Stack, shopify_secret: str) -> None:
    sku = shop.new_sku("CANCEL", wh_east=25)
    shopify(shop, shopify_secret, shopify_order(5010, skus={sku: 4}, updated_at="2026-05-01T00:00:00Z"))
    assert reserved(shop, sku) == (25, 4, 21)
    cancelled = shopify_order(5010, skus={sku: 4}, updated_at="2026-05-01T02:00:00Z")
    cancelled["cancelled_at"] = "2026-05-01T02:00:00Z"
    cancelled["cancel_reason"] = "customer"
    for event_id in ("c1", "c2", "c3"):
        shopify(shop, shopify_secret, cancelled, topic="orders/cancelled", event_id=event_id)
    order = shop.order(f"{SHOP}.5010")
    assert order["status"] == "cancelled"
    assert order["timeline"][-1]["reason"] == "customer"
    assert reserved(shop, sku) == (25, 0, 25)
    assert order["reservation"]["reserved"] == {}
    assert len(shop.events.of_type("OrderCancelled", f"{SHOP}.5010")) == 1


def test_woocommerce_deletion_cancels_and_releases(shop: Stack, woo_secret: str) -> None:
    sku = shop.new_sku("DELETE", wh_west=30)
    woo(shop, woo_secret, woocommerce_order(802, skus={sku: 3}))
    assert reserved(shop, sku) == (30, 3, 27)
    woo(shop, woo_secret, {"id": 802}, topic="order.deleted")
    assert shop.order(f"{WOO}.802")["status"] == "cancelled"
    assert reserved(shop, sku) == (30, 0, 30)


def test_an_edit_of_a_confirmed_order_moves_its_reservation(shop: Stack, shopify_secret: str) -> None:
    a, b = shop.new_sku("EDIT-A", wh_east=25), shop.new_sku("EDIT-B", wh_east=25)
    shopify(shop, shopify_secret, shopify_order(5011, skus={a: 1, b: 2}, updated_at="2026-06-01T00:00:00Z"))
    edited = shopify_order(5011, skus={a: 3}, updated_at="2026-06-01T01:00:00Z")
    shopify(shop, shopify_secret, edited, topic="orders/updated")
    order = shop.order(f"{SHOP}.5011")
    assert order["status"] == "confirmed"
    assert order["reservation"]["reserved"] == {a: 3}
    assert reserved(shop, a) == (25, 3, 22)
    assert reserved(shop, b) == (25, 0, 25)
    assert [e["detail"]["changed"] for e in shop.events.of_type("OrderUpdated", f"{SHOP}.5011")] == [
        ["lines"]
    ]


def test_a_manual_order_goes_through_the_same_pipeline(shop: Stack) -> None:
    sku = shop.new_sku("PHONE", wh_east=20)
    status, body = shop.api(
        "POST",
        "/orders",
        {
            "store_id": SHOP,
            "reference": "PHONE-1",
            "currency": "USD",
            "customer": {"first_name": "Ada", "email": "ada@example.com"},
            "shipping_address": ADDRESS,
            "lines": [{"sku": sku, "name": "iPod", "quantity": 2, "unit_price": "150.00"}],
            "shipping": {"title": "Courier", "price": "9.99"},
            "tax": "12.00",
            "payment_status": "paid",
            "source": "phone",
        },
    )
    assert status == 202, body
    assert body["order_id"] == f"{SHOP}.PHONE-1"
    shop.cloud.drain()
    order = shop.order(f"{SHOP}.PHONE-1")
    assert order["channel"] == "manual"
    assert order["status"] == "confirmed"
    assert order["totals"]["total"]["amount"] == "321.99"
    assert reserved(shop, sku) == (20, 2, 18)


def test_an_order_of_more_unknown_skus_than_one_transaction_holds_names_every_one(
    shop: Stack, shopify_secret: str
) -> None:
    """100 SKUs need more than one transaction; none is known: every one is a short line, and
    nothing is reserved or left locked."""
    skus = {f"BULK-{n:03d}": 1 for n in range(100)}
    shopify(shop, shopify_secret, shopify_order(5012, skus=skus))
    order = shop.order(f"{SHOP}.5012")
    assert order["status"] == "on_hold"
    assert order["hold"]["reason"] == "unknown_sku"
    assert sorted(s["sku"] for s in order["hold"]["short_lines"]) == sorted(skus)
    assert order["reservation"]["reserved"] == {}
    assert not [i for i in shop.items() if i["SK"]["S"].startswith("OP#")]
    assert shop.queue_depth("IntakeDLQ") == 0
