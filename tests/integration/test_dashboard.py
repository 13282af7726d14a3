"""GET /dashboard counts exactly, from COUNT queries: orders in since a time, to ship per status,
late ones, on hold by reason, returns waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from oms.data.dynamo_table import Table
from oms.data.order_repository import OrderRepository
from oms.data.return_repository import ReturnRepository
from oms.services.dashboard import Dashboard
from oms.timeutil import utcnow
from tests.stack import Stack


def _order(shop: Stack, reference: str, sku: str, quantity: int) -> None:
    body: dict[str, Any] = {
        "store_id": "demo-woo",
        "reference": reference,
        "currency": "USD",
        "customer": {"email": "dash@example.com"},
        "shipping_address": {
            "name": "Dash",
            "line1": "1 Main St",
            "city": "Reno",
            "postal_code": "89502",
            "country_code": "US",
        },
        "lines": [{"sku": sku, "name": "Thing", "quantity": quantity, "unit_price": "5.00"}],
    }
    assert shop.api("POST", "/orders", body)[0] == 202


def test_the_dashboard_counts_orders_to_ship_holds_by_reason_and_returns_waiting(full_shop: Stack) -> None:
    before = full_shop.api("GET", "/dashboard")[1]
    stocked = full_shop.new_sku("DASH", **{"wh-west": 10})
    _order(full_shop, "DASH-1", stocked, 1)
    _order(full_shop, "DASH-2", stocked, 2)
    _order(full_shop, "DASH-3", "DASH-NONE", 1)  # no stock anywhere: held out of stock
    full_shop.cloud.drain()
    assert full_shop.order("demo-woo.DASH-3")["status"] == "on_hold"
    status, day = full_shop.api("GET", "/dashboard")
    assert status == 200
    assert day["orders_in"] == before["orders_in"] + 3
    assert day["to_ship"]["fulfilling"] == before["to_ship"]["fulfilling"] + 2
    assert day["waiting"]["on_hold"] == before["waiting"]["on_hold"] + 1
    reason = full_shop.order("demo-woo.DASH-3")["hold"]["reason"]
    assert day["on_hold_by_reason"][reason] == before["on_hold_by_reason"].get(reason, 0) + 1
    assert day["late"] == before["late"]  # placed just now: none late
    # The orders list narrows to that hold reason (the home's link).
    _, _, held = full_shop.api.request("GET", "/orders", query=f"hold={reason}&limit=200")
    ids = [o["order_id"] for o in held["orders"]]
    assert "demo-woo.DASH-3" in ids
    assert all(full_shop.order(i)["hold"]["reason"] == reason for i in ids)
    _, _, none = full_shop.api.request("GET", "/orders", query="hold=payment_review")
    assert "demo-woo.DASH-3" not in [o["order_id"] for o in none["orders"]]
    since = (utcnow() + timedelta(minutes=1)).isoformat()
    status, _, answer = full_shop.api.request("GET", "/dashboard", query=urlencode({"since": since}))
    assert (status, answer["code"]) == (400, "invalid_range")


def test_the_dashboard_refuses_bad_parameters_with_the_field_at_fault(full_shop: Stack) -> None:
    status, _, answer = full_shop.api.request("GET", "/dashboard", query="late_after_hours=0")
    assert (status, answer["code"]) == (422, "validation_error")
    assert answer["errors"][0]["field"] == "query.late_after_hours"


def test_a_polled_list_answers_304_until_it_changes_and_then_its_new_body_and_tag(full_shop: Stack) -> None:
    query = "store=demo-woo&limit=5"
    status, headers, first = full_shop.api.request("GET", "/orders", query=query)
    assert status == 200
    tag = headers["etag"]
    assert headers["cache-control"] == "private, no-cache"
    status, headers, body = full_shop.api.request(
        "GET", "/orders", query=query, headers={"if-none-match": tag}
    )
    assert (status, headers["etag"], body) == (304, tag, None)
    status, _, _ = full_shop.api.request(
        "GET", "/orders", query=query, headers={"if-none-match": f'W/{tag}, "other"'}
    )
    assert status == 304  # a weak or listed tag matches too

    _order(full_shop, "ETAG-1", full_shop.new_sku("ETAG", **{"wh-west": 3}), 1)
    full_shop.cloud.drain()
    status, headers, changed = full_shop.api.request(
        "GET", "/orders", query=query, headers={"if-none-match": tag}
    )
    assert status == 200
    assert headers["etag"] != tag
    assert changed["orders"][0]["order_id"] == "demo-woo.ETAG-1"
    assert changed != first
    # A refusal is never 304, whatever tag is offered.
    status, headers, refused = full_shop.api.request(
        "GET", "/orders", query="limit=zero", headers={"if-none-match": tag}
    )
    assert (status, refused["code"], "etag" in headers) == (422, "validation_error", False)


def test_each_count_stops_at_its_cap_and_says_so(full_shop: Stack) -> None:
    for n in range(3):
        _order(full_shop, f"CAP-{n}", f"CAP-NONE-{n}", 1)  # nothing in stock: each held
    full_shop.cloud.drain()
    table = Table(full_shop.cloud.ref("OmsTable"))
    orders, returns = OrderRepository(table), ReturnRepository(table)
    now = utcnow()
    held = orders.count(status="on_hold", now=now)
    assert held >= 3
    assert orders.count(status="on_hold", now=now, cap=2) == 2
    assert orders.count(status="on_hold", now=now, cap=held + 5) == held
    assert sum(orders.hold_reasons(cap=2).values()) == 2
    day = Dashboard(orders, returns, cap=2).today(
        since=now - timedelta(days=1), late_after=timedelta(days=2), now=now
    )
    assert day["count_cap"] == 2
    assert day["waiting"]["on_hold"] == 2  # "2 or more"
    assert day["orders_in"] == 2
    status, body = full_shop.api("GET", "/dashboard")
    assert (status, body["count_cap"]) == (200, 1000)
