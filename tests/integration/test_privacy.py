"""Personal data on the template's functions (oms.privacy): Shopify's mandatory compliance webhooks
(HMAC-verified like the others) and staff's requests. A data request puts the customer's orders in
one file for staff; an erasure leaves no trace of the customer in any item of the table (order
documents and their outboxes, shipments, search terms, the admin API's stored answers) nor in the
exports that named them, while their orders' lines, amounts and dates remain and another
customer's data is untouched; a store's erasure removes its secrets too.

Compliance payloads: the shapes Shopify documents for its mandatory webhooks (shop 954889's
examples), pointed at this test's shop and orders."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import zlib
from typing import Any

from oms.order_search import email_value
from oms.webhooks import sign
from oms_local.samples import Delivery, fixture, shopify_body, shopify_delivery, shopify_order
from tests.stack import Stack, redelivered

STORE = "privacy-shop"
SECRET = "privacy-shop-webhook-secret"
DOMAIN = f"{STORE}.myshopify.com"
BOB = {
    "email": "bob.norman@hostmail.com",
    "phone": "555-625-1199",
    "names": ("Bob Norman", "Norman"),
    "street": "Chestnut Street 92",
}
ALICE_EMAIL = "alice.other@example.org"


def register(stack: Stack, **settings: Any) -> None:
    status, body = stack.api(
        "POST",
        "/stores",
        {
            "store_id": STORE,
            "channel": "shopify",
            "name": "Privacy shop",
            "webhook_secret": SECRET,
            "shop_domain": DOMAIN,
            "settings": {"location_priority": ["wh-east"], **settings},
        },
    )
    assert status == 201, body


def order_delivery(n: int, sku: str, *, alice: bool = False, topic: str = "orders/create") -> Delivery:
    payload = shopify_order(n, skus={sku: 1})
    payload["note"] = "Leave it with Bob Norman's neighbour"
    if alice:
        payload["note"] = None
        payload["email"] = payload["customer"]["email"] = ALICE_EMAIL
        payload["customer"]["id"] = 900_001
        for part in ("billing_address", "shipping_address"):
            payload[part].update(
                first_name="Alice",
                last_name="Otherby",
                name="Alice Otherby",
                address1="1 Elsewhere Lane",
                phone="555-000-7777",
            )
        payload["customer"]["first_name"], payload["customer"]["last_name"] = "Alice", "Otherby"
    return shopify_delivery(payload, store_id=STORE, secret=SECRET, shop_domain=DOMAIN, topic=topic)


def compliance(topic: str, payload: dict[str, Any], event_id: str) -> Delivery:
    body = shopify_body(payload)
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": sign(SECRET, body),
        "x-shopify-shop-domain": DOMAIN,
        "x-shopify-event-id": event_id,
    }
    return Delivery("shopify", STORE, headers, body)


def redact_payload(order_ids: list[int]) -> dict[str, Any]:
    return {
        "shop_id": 954889,
        "shop_domain": DOMAIN,
        "customer": {"id": 191167, "email": BOB["email"], "phone": BOB["phone"]},
        "orders_to_redact": order_ids,
    }


def _text(value: Any) -> str:
    """An attribute as searchable text: strings, numbers, and binary ones decompressed."""
    if isinstance(value, dict):
        if "B" in value:
            raw = value["B"]
            raw = base64.b64decode(raw) if isinstance(raw, str) else raw
            try:
                return zlib.decompress(raw).decode("utf-8", errors="replace")
            except (zlib.error, binascii.Error):
                return raw.decode("utf-8", errors="replace")
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value)


def sqs_event(body: dict[str, Any]) -> dict[str, Any]:
    event = redelivered({})
    event["Records"][0]["body"] = json.dumps(body)
    return event


def set_values(part: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (part or {}).items() if v is not None}


def items_mentioning(stack: Stack, *needles: str) -> list[str]:
    found = []
    for item in stack.items():
        text = _text(item).casefold()
        if any(n.casefold() in text for n in needles):
            found.append(f"{item['PK']['S']} / {item['SK']['S']}")
    return found


def place(stack: Stack, n: int, *, alice: bool = False) -> str:
    sku = stack.new_sku("PRIV", wh_east=5)
    status, _ = stack.deliver(order_delivery(n, sku, alice=alice))
    assert status == 202
    return f"{STORE}.{n}"


def test_an_erased_customer_leaves_no_personal_data_in_any_item_and_their_orders_keep_the_books(
    full_shop: Stack,
) -> None:
    shop = full_shop
    register(shop, auto_fulfil=True)  # shipped: shipments with the address, emails sent
    bobs = [place(shop, 81_001), place(shop, 81_002)]
    alices = place(shop, 81_003, alice=True)
    assert shop.order(bobs[0])["status"] == "shipped"
    # Staff wrote about him, exported the store, and asked the API twice with one key.
    note = {"text": "Bob Norman called about the parcel", "visibility": "internal"}
    status, _, _ = shop.api.request(
        "POST", f"/orders/{bobs[0]}/notes", note, headers={"idempotency-key": "bob-note"}
    )
    assert status == 201
    status, _, started = shop.api.request(
        "POST", "/exports", {"filter": {"store": STORE}, "granularity": "order"}
    )
    assert status == 202
    shop.cloud.drain()
    s3, bucket = shop.cloud.clients["s3"], shop.cloud.ref("ExportBucket")
    export_key = f"exports/{started['export_id']}.csv"
    assert BOB["email"].encode() in s3.get_object(Bucket=bucket, Key=export_key)["Body"].read()
    assert items_mentioning(shop, BOB["email"])  # he is everywhere before
    before = {oid: shop.order(oid) for oid in bobs}

    status, answer = shop.deliver(compliance("customers/redact", redact_payload([81_001]), "redact-evt-1"))
    assert status == 202, answer

    # Nothing of him is left anywhere in the table: not his email (nor its search hash), phone,
    # name or street.
    needles = (BOB["email"], email_value(BOB["email"]), BOB["phone"], *BOB["names"], BOB["street"])
    assert items_mentioning(shop, *needles) == []
    # His orders keep what the books need (found by his email through the index, the second too).
    for oid in bobs:
        order = shop.order(oid)
        assert order["redacted_at"] is not None
        assert set_values(order["customer"]) == {}
        assert set_values(order["shipping_address"]) == {"country_code": "US", "province_code": "KY"}
        assert order["totals"] == before[oid]["totals"]
        assert [line["sku"] for line in order["lines"]] == [line["sku"] for line in before[oid]["lines"]]
        assert order["placed_at"] == before[oid]["placed_at"]
        assert order["status"] == "shipped"
        assert [n["text"] for n in order["notes"]] in ([], ["[redacted]"])
    status, _, found = shop.api.request("GET", "/orders", query=f"q={BOB['email']}")
    assert (status, found["orders"]) == (200, [])
    status, _, found = shop.api.request("GET", "/orders", query="q=81001")
    assert [o["order_id"] for o in found["orders"]] == [bobs[0]]
    # The export that named him is gone, every version of it.
    versions = s3.list_object_versions(Bucket=bucket, Prefix=export_key).get("Versions", [])
    assert versions == []
    # Alice is untouched.
    assert shop.order(alices)["customer"]["email"] == ALICE_EMAIL
    assert len(shop.events.of_type("OrderRedacted")) == 2

    # Shopify delivers his order again: it stays redacted.
    again = order_delivery(81_001, before[bobs[0]]["lines"][0]["sku"], topic="orders/updated")
    status, _ = shop.deliver(again)
    assert status == 202
    assert set_values(shop.order(bobs[0])["customer"]) == {}
    assert items_mentioning(shop, *needles) == []

    # The same compliance webhook again does nothing more.
    shop.deliver(compliance("customers/redact", redact_payload([81_001]), "redact-evt-1"))
    assert len(shop.events.of_type("OrderRedacted")) == 2
    assert shop.queue_depth("PrivacyDLQ") == 0


def test_a_customers_data_request_is_a_file_for_staff_with_their_orders(full_shop: Stack) -> None:
    shop = full_shop
    register(shop)
    bobs = [place(shop, 82_001), place(shop, 82_002)]
    place(shop, 82_003, alice=True)
    payload = {
        "shop_id": 954889,
        "shop_domain": DOMAIN,
        "orders_requested": [82_001],
        "customer": {"id": 191167, "email": BOB["email"], "phone": BOB["phone"]},
        "data_request": {"id": 9999},
    }
    status, _ = shop.deliver(compliance("customers/data_request", payload, "data-evt-1"))
    assert status == 202
    status, record = shop.api("GET", "/privacy/requests/shopify-data-evt-1")
    assert status == 200, record
    assert (record["kind"], record["status"], record["orders"]) == ("data_request", "done", 2)
    assert sorted(record["order_ids"]) == sorted(bobs)
    assert "Signature" in record["download_url"]
    assert "email" not in json.dumps(record)  # the record names no one
    s3, bucket = shop.cloud.clients["s3"], shop.cloud.ref("ExportBucket")
    document = json.loads(s3.get_object(Bucket=bucket, Key="privacy/shopify-data-evt-1.json")["Body"].read())
    assert document["channel_request_id"] == "9999"
    assert sorted(o["order_id"] for o in document["orders"]) == sorted(bobs)
    assert {o["customer"]["email"] for o in document["orders"]} == {BOB["email"]}
    alerts = [
        n[2] or ""
        for topic in shop.cloud.sns_messages()
        for n in topic["sent_notifications"]
        if "shopify-data-evt-1" in (n[2] or "")
    ]
    assert len(alerts) == 1
    assert BOB["email"] not in alerts[0]


def test_a_forged_compliance_webhook_gets_401_and_changes_nothing(full_shop: Stack) -> None:
    shop = full_shop
    register(shop)
    bob = place(shop, 83_001)
    forged = compliance("customers/redact", redact_payload([83_001]), "forged-1").with_headers(
        x_shopify_hmac_sha256=sign("not-the-secret", shopify_body(redact_payload([83_001])))
    )
    status, body = shop.deliver(forged)
    assert (status, body["code"]) == (401, "invalid_signature")
    assert shop.order(bob)["customer"]["email"] == BOB["email"]
    assert shop.queue_depth("PrivacyQueue") == 0


def test_shop_redact_erases_every_order_of_the_store_and_its_secrets(full_shop: Stack) -> None:
    shop = full_shop
    register(shop)
    ids = [place(shop, 84_001), place(shop, 84_002, alice=True)]
    status, _ = shop.deliver(
        compliance("shop/redact", {"shop_id": 954889, "shop_domain": DOMAIN}, "shop-evt-1")
    )
    assert status == 202
    for oid in ids:
        assert set_values(shop.order(oid)["customer"]) == {}
    assert items_mentioning(shop, BOB["email"], ALICE_EMAIL, "Alice Otherby", *BOB["names"]) == []
    store = shop.api("GET", f"/stores/{STORE}")[1]
    assert store["erased_at"] is not None
    assert store["api_connected"] is False
    ssm = shop.cloud.clients["ssm"]
    names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    assert not [n for n in names if f"/{STORE}/" in n]
    # Its secret is gone: its webhooks are an unknown store's once the webhook's and the intake's
    # caches of it lapse (minutes). A delivery taken meanwhile is redacted by the erasure's second
    # look, queued for a quarter of an hour later (sent to the function here at once).
    status, _ = shop.deliver(order_delivery(84_003, shop.new_sku("PRIV", wh_east=1)))
    assert status == 202
    sweep = {
        "request": {
            "request_id": "shopify-shop-evt-1-sweep",
            "kind": "shop_redact",
            "store_id": STORE,
            "source": "shopify",
            "requested_by": "shopify:shop/redact",
            "received_at": "2026-12-01T00:00:00Z",
        }
    }
    result = shop.cloud.invoker.invoke("PrivacyFunction", sqs_event(sweep))
    assert result.ok, result
    shop.cloud.drain()
    assert set_values(shop.order(f"{STORE}.84003")["customer"]) == {}
    assert items_mentioning(shop, BOB["email"], *BOB["names"]) == []


def test_staff_erase_a_customer_of_any_channel_and_bad_requests_change_nothing(full_shop: Stack) -> None:
    shop = full_shop
    woo = copy.deepcopy(fixture("woocommerce/order.json"))
    assert woo["billing"]["email"]
    status, body = shop.api("POST", "/privacy/redactions", {"store_id": "demo-woo"})
    assert (status, body["code"]) == (422, "validation_error")
    status, body = shop.api(
        "POST", "/privacy/redactions", {"store_id": "no-such-store", "email": "a@b.example"}
    )
    assert (status, body["code"]) == (404, "unknown_store")
    status, body = shop.api("POST", "/stores/demo-woo/erase", {"confirm": "demo-shopify"})
    assert (status, body["code"]) == (400, "erasure_not_confirmed")
    assert shop.queue_depth("PrivacyQueue") == 0
    status, asked = shop.api(
        "POST", "/privacy/redactions", {"store_id": "demo-woo", "email": "nobody@example.com"}
    )
    assert status == 202, asked
    assert asked["status"] == "running"
    shop.cloud.drain()
    status, record = shop.api("GET", f"/privacy/requests/{asked['request_id']}")
    assert (status, record["status"], record["orders"]) == (200, "done", 0)
    status, body = shop.api("GET", "/privacy/requests/no-such-request")
    assert (status, body["code"]) == (404, "privacy_request_not_found")
