"""BigCommerce's API as the OMS calls it (oms.integrations.bigcommerce_api, bigcommerce_inventory),
against replayed exchanges in the documented shapes: the calls made, their order and bodies, and
what is made once."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from oms.integrations.bigcommerce_api import BigCommerceApi
from oms.integrations.bigcommerce_inventory import BigCommerceInventory
from oms.integrations.http_transport import HttpError, HttpResponse, retry_after
from oms.inventory_sync import AGGREGATE, ChannelListing, StockPush
from oms.models import Order, Refund, RefundStatus
from oms.money import Money
from oms.shipments import Label, Shipment, ShipmentLine
from tests.replay import Replay, recorded

BASE = "https://api.bigcommerce.com/stores/abc123def"
TOKEN = "bc_test_api_token_0123456789"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


# The adapter reads only the order's channel id.
ORDER = Order.model_construct(channel_order_id="250")


def api(replay: Replay) -> BigCommerceApi:
    return BigCommerceApi(replay, store_hash="abc123def", access_token=TOKEN)


def exchange(method: str, path: str, status: int, answer: Any, sent: Any = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "url": f"{BASE}{path}", "headers": {"x-auth-token": TOKEN}}
    if sent is not None:
        request["json"] = sent
    return {"request": request, "response": {"status": status, "json": answer}}


def test_an_order_is_read_with_its_products_and_addresses_and_its_refunds_only_when_money_went_back() -> None:
    replay = Replay.of("bigcommerce-order")
    document = api(replay).order_document("250")
    assert replay.done()
    assert document is not None
    assert document["order"]["id"] == 250
    assert [p["sku"] for p in document["products"]] == ["S-ORAN", "ABS"]
    assert document["refunds"] == []

    refunded = copy.deepcopy(recorded("bigcommerce-order")["exchanges"])
    refunded[0]["response"]["json"]["refunded_amount"] = "35.0000"
    listed = {"data": [{"id": 3, "order_id": 250, "total_amount": 35.0, "items": []}], "meta": {}}
    replay = Replay([*refunded, exchange("GET", "/v3/orders/250/payment_actions/refunds", 200, listed)])
    document = api(replay).order_document("250")
    assert replay.done()
    assert document is not None
    assert document["refunds"] == listed["data"]


def test_an_order_bigcommerce_does_not_have_is_none_and_its_products_are_read_page_by_page() -> None:
    missing = [{"status": 404, "message": "The requested resource was not found."}]
    replay = Replay([exchange("GET", "/v2/orders/999", 404, missing)])
    assert api(replay).order_document("999") is None

    exchanges = copy.deepcopy(recorded("bigcommerce-order")["exchanges"])
    product = exchanges[1]["response"]["json"][0]
    exchanges[1]["response"]["json"] = [dict(product, id=i) for i in range(250)]
    second = exchange("GET", "/v2/orders/250/products?limit=250&page=2", 200, [dict(product, id=250)])
    replay = Replay([exchanges[0], exchanges[1], second, exchanges[2]])
    document = api(replay).order_document("250")
    assert replay.done()
    assert document is not None
    assert len(document["products"]) == 251


def test_a_shipment_is_made_once_with_its_tracking_number_and_not_again_once_bigcommerce_has_it() -> None:
    order = ORDER
    shipment = Shipment(
        shipment_id="bc-shop.250-S1",
        order_id="bc-shop.250",
        store_id="bc-shop",
        channel="bigcommerce",
        number="250",
        location="wh-east",
        lines=[ShipmentLine(line_id="65", sku="S-ORAN", name="Towel", quantity=1)],
        label=Label(carrier="USPS", tracking_number="EJ958083578US", provider="sandbox"),
        created_at=NOW,
        updated_at=NOW,
    )
    replay = Replay.of("bigcommerce-shipment")
    replay.exchanges[2]["request"]["json"] = {
        "order_address_id": 132,
        "items": [{"order_product_id": 65, "quantity": 1}],
        "comments": "OMS shipment bc-shop.250-S1",
        "tracking_number": "EJ958083578US",
        "tracking_carrier": "",
    }
    replay.exchanges[2]["request"].pop("json_subset")
    assert api(replay).push_shipment(order=order, shipment=shipment)["status"] == "shipment_created"
    assert replay.done()

    made = [{"id": 11, "order_id": 250, "tracking_number": "EJ958083578US", "comments": "Ready to go..."}]
    replay = Replay([exchange("GET", "/v2/orders/250/shipments?limit=250", 200, made)])
    assert api(replay).push_shipment(order=order, shipment=shipment) == {
        "status": "already_shipped",
        "shipment_id": 11,
    }
    assert replay.done()


def _refund() -> Refund:
    return Refund(
        refund_id="r-1",
        status=RefundStatus.PENDING,
        shipping=Money.zero("USD"),
        extra=Money.of("5.00", "USD"),
        total=Money.of("5.00", "USD"),
        reason="late",
        actor="staff",
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_refund_is_quoted_then_made_through_an_online_payment_and_found_not_made_again_after_a_crash() -> (
    None
):
    order = ORDER
    items = [{"item_type": "ORDER", "item_id": 250, "amount": 5.0, "reason": "late"}]
    store_credit = [{"provider_id": "storecredit", "amount": 5.0, "offline": False}]
    custom = [{"provider_id": "custom", "amount": 5.0, "offline": True, "offline_provider": True}]
    card = [{"provider_id": "testgateway", "amount": 5.0, "offline": False}]
    quote = {
        "data": {"order_id": 250, "total_refund_amount": 5.0, "refund_methods": [custom, card, store_credit]}
    }
    path = "/v3/orders/250/payment_actions"
    replay = Replay(
        [
            exchange("GET", f"{path}/refunds", 200, {"data": [], "meta": {}}),
            exchange("POST", f"{path}/refund_quotes", 201, quote, {"items": items}),
            exchange(
                "POST",
                f"{path}/refunds",
                201,
                {"data": {"id": 3, "order_id": 250, "reason": "late [oms r-1]"}, "meta": {}},
                {
                    "items": items,
                    "payments": [{"provider_id": "testgateway", "amount": 5.0, "offline": False}],
                    "reason": "late [oms r-1]",
                },
            ),
        ]
    )
    assert api(replay).create_refund(order=order, refund=_refund()) == {
        "status": "refunded",
        "channel_refund_id": "3",
    }
    assert replay.done()

    made = {"data": [{"id": 3, "order_id": 250, "reason": "late [oms r-1]"}], "meta": {}}
    replay = Replay([exchange("GET", f"{path}/refunds", 200, made)])
    assert api(replay).create_refund(order=order, refund=_refund())["channel_refund_id"] == "3"
    assert replay.done()


def listing(sku: str, *, variant: str | None = "301", product: str = "401") -> ChannelListing:
    return ChannelListing(
        store_id="bc-shop", sku=sku, found=True, checked_at=NOW, variant_id=variant, product_id=product
    )


def test_a_sku_is_found_with_how_its_product_tracks_stock_and_an_untracked_one_is_not_synced() -> None:
    variants = {"data": [{"id": 301, "product_id": 401, "sku": "S-ORAN"}], "meta": {}}
    lookup = "/v3/catalog/variants?sku=S-ORAN&include_fields=id,product_id,sku"
    product = "/v3/catalog/products/401?include_fields=name,inventory_tracking"
    for tracking, variant_id in (("variant", "301"), ("product", None)):
        answer = {"data": {"id": 401, "name": "Towel", "inventory_tracking": tracking}, "meta": {}}
        replay = Replay([exchange("GET", lookup, 200, variants), exchange("GET", product, 200, answer)])
        found = BigCommerceInventory(api(replay), "bc-shop", 1).look_up("S-ORAN", NOW)
        assert (found.found, found.variant_id, found.product_id, found.name) == (
            True,
            variant_id,
            "401",
            "Towel",
        )
    untracked = {"data": {"id": 401, "inventory_tracking": "none"}, "meta": {}}
    replay = Replay([exchange("GET", lookup, 200, variants), exchange("GET", product, 200, untracked)])
    assert not BigCommerceInventory(api(replay), "bc-shop", 1).look_up("S-ORAN", NOW).found
    replay = Replay([exchange("GET", lookup, 200, {"data": [], "meta": {}})])
    assert not BigCommerceInventory(api(replay), "bc-shop", 1).look_up("S-ORAN", NOW).found


def test_levels_are_set_absolutely_at_the_stores_location_and_a_refused_batch_is_retried_sku_by_sku() -> None:
    pushes = [
        StockPush(listing("S-ORAN"), 3, {AGGREGATE: 0}),
        StockPush(listing("ABS", variant=None, product="402"), 4, {AGGREGATE: 7}),
    ]
    both = {
        "reason": "OMS stock level",
        "items": [
            {"location_id": 2, "quantity": 0, "variant_id": 301},
            {"location_id": 2, "quantity": 7, "product_id": 402},
        ],
    }
    path = "/v3/inventory/adjustments/absolute"
    replay = Replay([exchange("PUT", path, 200, {"transaction_id": "t-1"}, both)])
    assert BigCommerceInventory(api(replay), "bc-shop", 2).set_stock(pushes) == {"S-ORAN": None, "ABS": None}

    refused = {"status": 422, "title": "[Item with variant_id 301 is tracked by product]", "errors": {}}
    replay = Replay(
        [
            exchange("PUT", path, 422, refused, both),
            exchange("PUT", path, 422, refused, {"reason": "OMS stock level", "items": both["items"][:1]}),
            exchange(
                "PUT",
                path,
                200,
                {"transaction_id": "t-2"},
                {"reason": "OMS stock level", "items": both["items"][1:]},
            ),
        ]
    )
    results = BigCommerceInventory(api(replay), "bc-shop", 2).set_stock(pushes)
    assert replay.done()
    assert results["ABS"] is None
    assert str(results["S-ORAN"]).startswith("BigCommerce refused it")


def test_a_429_waits_as_long_as_bigcommerces_quota_reset_header_says() -> None:
    assert retry_after({"X-Rate-Limit-Time-Reset-Ms": "1500"}) == 2
    assert retry_after({"Retry-After": "7"}) == 7

    class Limited:
        def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
            return HttpResponse(429, b"", {"X-Rate-Limit-Time-Reset-Ms": "4200"})

    with pytest.raises(HttpError) as error:
        BigCommerceApi(Limited(), store_hash="abc123def", access_token=TOKEN).call("GET", "/v2/orders/1")  # type: ignore[arg-type]
    assert (error.value.status, error.value.retryable, error.value.retry_after) == (429, True, 5)
