"""The admin API: orders, stock, stores, locations; JSON errors with stable codes."""

from __future__ import annotations

from typing import Any

import pytest

from oms_local.samples import shopify_delivery, shopify_order, woocommerce_delivery, woocommerce_order
from oms_local.seed import SHOPIFY_STORE, WOO_STORE
from tests.stack import FULFILMENT, Stack


@pytest.fixture
def shop(shared_shop: Stack) -> Stack:
    shared_shop.cloud.pause(FULFILMENT)  # orders stay as intake left them
    return shared_shop


def test_unknown_order_is_a_404_with_a_code(shop: Stack) -> None:
    status, body = shop.api("GET", "/orders/demo-shopify.404404")
    assert (status, body["code"]) == (404, "order_not_found")
    assert "demo-shopify.404404" in body["message"]


def test_orders_are_listed_by_store_status_channel_and_date_with_cursor_pages(shop: Stack) -> None:
    sku = shop.new_sku("LIST", wh_east=100)
    for n in range(6):
        payload = shopify_order(7000 + n, skus={sku: 1}, financial_status="paid" if n % 2 == 0 else "pending")
        payload["created_at"] = f"2025-0{n + 1}-15T12:00:00Z"
        shop.send(
            shopify_delivery(payload, store_id="demo-shopify", secret=str(SHOPIFY_STORE["webhook_secret"]))
        )
    woo = woocommerce_order(7100, skus={sku: 1})
    woo["date_created_gmt"] = "2025-03-20T00:00:00"
    shop.send(woocommerce_delivery(woo, store_id="demo-woo", secret=str(WOO_STORE["webhook_secret"])))
    shop.cloud.drain()

    def ids(query: str) -> list[str]:
        status, _, body = shop.api.request("GET", "/orders", query=query)
        assert status == 200, body
        return [o["order_id"] for o in body["orders"] if o["order_id"].split(".")[1].startswith("7")]

    in_2025 = "from=2025-01-01T00:00:00Z&to=2025-12-31T23:59:59Z"
    assert ids(f"store=demo-shopify&{in_2025}") == [f"demo-shopify.{7000 + n}" for n in range(5, -1, -1)]
    assert ids(f"status=awaiting_payment&{in_2025}") == [
        "demo-shopify.7005",
        "demo-shopify.7003",
        "demo-shopify.7001",
    ]
    assert ids(f"channel=woocommerce&{in_2025}") == ["demo-woo.7100"]
    assert ids(f"store=demo-shopify&status=confirmed&{in_2025}") == [
        "demo-shopify.7004",
        "demo-shopify.7002",
        "demo-shopify.7000",
    ]
    assert ids("store=demo-shopify&from=2025-02-01T00:00:00Z&to=2025-03-31T00:00:00Z") == [
        "demo-shopify.7002",
        "demo-shopify.7001",
    ]

    # Pages of two, following the cursor, give every order exactly once and in order.
    seen: list[str] = []
    query = f"store=demo-shopify&limit=2&{in_2025}"
    while True:
        status, _, body = shop.api.request("GET", "/orders", query=query)
        assert status == 200
        assert len(body["orders"]) <= 2
        seen += [o["order_id"] for o in body["orders"]]
        if not body["cursor"]:
            break
        query = f"store=demo-shopify&limit=2&{in_2025}&cursor={body['cursor']}"
    assert seen == [f"demo-shopify.{7000 + n}" for n in range(5, -1, -1)]
    summary = next(o for o in body["orders"] if o)
    assert set(summary) == {
        "order_id",
        "number",
        "status",
        "channel",
        "store_id",
        "placed_at",
        "totals",
        "payment_status",
    } | ({"hold"} if "hold" in summary else set())
    assert "customer" not in summary  # the index carries no personal data


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=shipped-ish", "query.status"),
        ("limit=0", "query.limit"),
        ("limit=abc", "query.limit"),
        ("store=NOT_VALID", "query.store"),
        ("from=yesterday", "query.from"),
        ("channel=ebay", "query.channel"),
    ],
)
def test_bad_list_filters_are_422_naming_the_field(shop: Stack, query: str, field: str) -> None:
    status, _, body = shop.api.request("GET", "/orders", query=query)
    assert status == 422
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == field


def test_a_cursor_we_did_not_issue_is_a_400(shop: Stack) -> None:
    status, _, body = shop.api.request("GET", "/orders", query="cursor=bm90LWEtY3Vyc29y")
    assert (status, body["code"]) == (400, "invalid_cursor")


def test_stock_counts_set_on_hand_per_location_and_never_touch_reserved(shop: Stack) -> None:
    sku = shop.new_sku("COUNT", wh_east=10, wh_west=2)
    shop.send(
        shopify_delivery(
            shopify_order(7200, skus={sku: 4}),
            store_id="demo-shopify",
            secret=str(SHOPIFY_STORE["webhook_secret"]),
        )
    )
    shop.cloud.drain()
    assert (shop.stock(sku)["reserved"], shop.stock(sku)["available"]) == (4, 8)
    count = {"locations": [{"location": "wh-east", "on_hand": 7}], "reason": "3 damaged in the warehouse"}
    status, body = shop.api("PUT", f"/stock/{sku}", count)
    assert status == 200, body
    assert (body["on_hand"], body["reserved"], body["available"]) == (9, 4, 5)
    assert [(lv["location"], lv["on_hand"]) for lv in body["locations"]] == [("wh-east", 7), ("wh-west", 2)]
    shop.cloud.drain()
    adjusted = [
        (e["detail"]["location"], e["detail"]["previous_on_hand"], e["detail"]["on_hand"])
        for e in shop.events.of_type("StockAdjusted")
        if e["detail"]["sku"] == sku
    ]
    assert sorted(adjusted, key=str) == [("wh-east", 10, 7), ("wh-east", None, 10), ("wh-west", None, 2)]
    reasons = {
        e["detail"]["previous_on_hand"]: e["detail"]["reason"]
        for e in shop.events.of_type("StockAdjusted")
        if e["detail"]["sku"] == sku and e["detail"]["location"] == "wh-east"
    }
    assert reasons == {10: "3 damaged in the warehouse", None: None}  # the seed's count gave none


def test_each_change_of_a_skus_available_stock_is_published_once_in_version_order(shop: Stack) -> None:
    sku = shop.new_sku("AVAIL", wh_east=10, wh_west=2)
    shop.send(
        shopify_delivery(
            shopify_order(7202, skus={sku: 4}),
            store_id="demo-shopify",
            secret=str(SHOPIFY_STORE["webhook_secret"]),
        )
    )
    shop.cloud.drain()
    assert shop.api("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 7}]})[0] == 200
    shop.cloud.drain()
    # Moving stock between locations leaves the total's available where it was: nothing to tell.
    moved = {"locations": [{"location": "wh-east", "on_hand": 8}, {"location": "wh-west", "on_hand": 1}]}
    assert shop.api("PUT", f"/stock/{sku}", moved)[0] == 200
    shop.cloud.drain()
    changes = [e for e in shop.events.of_type("StockAvailableChanged") if e["detail"]["sku"] == sku]
    seen = [
        (e["detail"]["version"], e["detail"]["previous_available"], e["detail"]["available"]) for e in changes
    ]
    assert seen == [(1, None, 12), (2, 12, 8), (3, 8, 5)]  # counted in, reserved, counted down
    assert [e["detail"]["event_id"] for e in changes] == [f"stock:{sku}:{v}" for v, _, _ in seen]
    assert shop.stock(sku)["available"] == 5


def test_a_count_that_would_leave_reserved_stock_uncovered_is_refused(shop: Stack) -> None:
    sku = shop.new_sku("SHORTCOUNT", wh_east=5)
    shop.send(
        shopify_delivery(
            shopify_order(7201, skus={sku: 4}),
            store_id="demo-shopify",
            secret=str(SHOPIFY_STORE["webhook_secret"]),
        )
    )
    shop.cloud.drain()
    status, body = shop.api("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 2}]})
    assert (status, body["code"]) == (409, "on_hand_below_reserved")
    assert shop.stock(sku)["on_hand"] == 5  # unchanged


@pytest.mark.parametrize(
    ("body", "status", "field_or_code"),
    [
        ({"locations": [{"location": "wh-east", "on_hand": -1}]}, 422, "locations.0.on_hand"),
        ({"locations": [{"location": "wh-east", "on_hand": "ten"}]}, 422, "locations.0.on_hand"),
        ({"locations": []}, 422, "locations"),
        ({"locations": [{"location": "nowhere", "on_hand": 1}]}, 404, "unknown_location"),
        ({"locations": [{"location": "wh-east", "on_hand": 1}], "extra": 1}, 422, "extra"),
        (
            {"locations": [{"location": "wh-east", "on_hand": 1}, {"location": "wh-east", "on_hand": 2}]},
            400,
            "duplicate_location",
        ),
    ],
)
def test_bad_stock_updates_are_refused_and_change_nothing(
    shop: Stack, body: dict[str, Any], status: int, field_or_code: str
) -> None:
    sku = shop.new_sku("BADPUT", wh_east=3)
    got, result = shop.api("PUT", f"/stock/{sku}", body)
    assert got == status, result
    if status == 422:
        assert result["errors"][0]["field"] == field_or_code
    else:
        assert result["code"] == field_or_code
    assert shop.stock(sku)["on_hand"] == 3


def test_unknown_sku_is_a_404(shop: Stack) -> None:
    status, body = shop.api("GET", "/stock/NO-SUCH-SKU")
    assert (status, body["code"]) == (404, "unknown_sku")


def test_stores_secrets_are_write_only(shop: Stack) -> None:
    status, body = shop.api(
        "POST",
        "/stores",
        {
            "store_id": "secret-test",
            "channel": "woocommerce",
            "name": "S",
            "site_url": "https://s.example.com",
        },
    )
    assert status == 201, body
    generated = body["webhook_secret"]  # shown once, because we generated it
    assert len(generated) >= 32
    assert body["webhook_url"].endswith("/webhooks/woocommerce/secret-test")
    for status, got in (shop.api("GET", "/stores/secret-test"), shop.api("GET", "/stores")):
        assert status == 200
        assert generated not in str(got)
        assert "webhook_secret" not in str(got)
    items = str(shop.items())
    assert generated not in items  # the secret lives in SSM, not the table
    parameter = shop.cloud.clients["ssm"].get_parameter(
        Name="/oms/dev/stores/woocommerce/secret-test/webhook", WithDecryption=True
    )["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert generated in parameter["Value"]


def test_store_registration_validates_per_channel(shop: Stack) -> None:
    status, body = shop.api("POST", "/stores", {"store_id": "no-secret", "channel": "shopify", "name": "X"})
    assert status == 422
    assert "webhook_secret" in body["message"]
    status, body = shop.api("POST", "/stores", dict(SHOPIFY_STORE))
    assert (status, body["code"]) == (409, "store_exists")


def test_manual_orders_need_a_known_store_and_valid_lines(shop: Stack) -> None:
    order = {
        "store_id": "nope-store",
        "currency": "USD",
        "shipping_address": {
            "name": "Ada L",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country_code": "US",
        },
        "lines": [{"sku": "X", "name": "X", "quantity": 1, "unit_price": "1.00"}],
    }
    status, body = shop.api("POST", "/orders", order)
    assert (status, body["code"]) == (404, "unknown_store")
    order["store_id"] = "demo-shopify"
    order["lines"][0]["unit_price"] = "1.001"  # type: ignore[index]
    status, body = shop.api("POST", "/orders", order)
    assert status == 422
    assert "decimal places" in body["message"]
    order["lines"] = []
    status, body = shop.api("POST", "/orders", order)
    assert (status, body["errors"][0]["field"]) == (422, "lines")
    assert shop.queue_depth("IntakeQueue") == 0


def test_a_manual_order_that_ships_without_a_shipping_address_is_a_422_naming_the_field(
    shop: Stack,
) -> None:
    order = {
        "store_id": "demo-shopify",
        "reference": "NO-ADDRESS-1",
        "currency": "USD",
        "lines": [
            {"sku": "IPOD2008GREEN", "name": "iPod", "quantity": 1, "unit_price": "10.00"},
            {
                "sku": "GIFT-NOTE",
                "name": "Gift note",
                "quantity": 1,
                "unit_price": "1.00",
                "requires_shipping": False,
            },
        ],
    }
    status, body = shop.api("POST", "/orders", order)
    assert (status, body["code"], body["errors"][0]["field"]) == (422, "validation_error", "shipping_address")
    assert body["message"].startswith("shipping_address: required when a line ships")
    assert shop.queue_depth("IntakeQueue") == 0
    # Nothing ships: nothing needs an address.
    digital = order | {"reference": "NO-ADDRESS-2", "lines": [order["lines"][1]]}  # type: ignore[index]
    status, body = shop.api("POST", "/orders", digital)
    assert status == 202, body


def test_malformed_json_and_unknown_routes_are_json_errors(shop: Stack) -> None:
    status, _, body = shop.api.request("PUT", "/stock/ABC", raw_body=b'{"locations": [')
    assert status == 422
    assert body["code"] == "validation_error"
    status, _, body = shop.api.request("POST", "/stores", raw_body=b"")
    assert status == 422
    status, body = shop.api("DELETE", "/orders/x")
    assert status == 404


def test_a_rotated_secret_is_picked_up_without_waiting_for_the_cache(isolated_shop: Stack) -> None:
    """(A stack of its own: forced refreshes after a mismatch are limited to one a minute per store.)"""
    shop = isolated_shop
    new_secret = "rotated-secret-0123456789abcdef"
    assert (
        shop.send(
            shopify_delivery(
                shopify_order(77), store_id="demo-shopify", secret=str(SHOPIFY_STORE["webhook_secret"])
            )
        )[0]
        == 202
    )
    status, _ = shop.api("PATCH", "/stores/demo-shopify", {"webhook_secret": new_secret})
    assert status == 200
    assert (
        shop.send(shopify_delivery(shopify_order(78), store_id="demo-shopify", secret=new_secret))[0] == 202
    )
    assert (
        shop.send(
            shopify_delivery(
                shopify_order(79), store_id="demo-shopify", secret=str(SHOPIFY_STORE["webhook_secret"])
            )
        )[0]
        == 401
    )
