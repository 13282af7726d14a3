"""The admin API enforces the two roles whatever a client shows: the warehouse works fulfilment,
stock and return receiving and is refused (403, nothing changed) everything that moves money or
changes what was sold; a Cognito user given no group may call nothing."""

from __future__ import annotations

from typing import Any

from oms_local.cloud import LocalApi
from tests.stack import Stack

WAREHOUSE = {"sub": "w-1", "cognito:username": "w-1", "cognito:groups": "[warehouse]", "token_use": "id"}
STAFF = {"sub": "s-1", "cognito:username": "s-1", "cognito:groups": "[staff warehouse]", "token_use": "id"}
NOBODY = {"sub": "n-1", "cognito:username": "n-1", "token_use": "id"}


def _as(stack: Stack, claims: dict[str, Any]) -> LocalApi:
    return LocalApi(stack.cloud, claims=claims)


def _order(shop: Stack) -> str:
    reference = "ROLE-1"
    body = {
        "store_id": "demo-woo",
        "reference": reference,
        "currency": "USD",
        "customer": {"email": "ada@example.com"},
        "shipping_address": {
            "name": "Ada",
            "line1": "1 Main St",
            "city": "Boston",
            "postal_code": "02110",
            "country_code": "US",
        },
        "lines": [{"sku": "IPOD2008GREEN", "name": "iPod", "quantity": 1, "unit_price": "10.00"}],
    }
    assert shop.api("POST", "/orders", body)[0] == 202
    shop.cloud.drain()
    return f"demo-woo.{reference}"


def test_the_warehouse_reads_orders_and_stock_but_is_refused_refunds_cancels_and_settings(
    full_shop: Stack,
) -> None:
    order_id = _order(full_shop)
    warehouse = _as(full_shop, WAREHOUSE)
    before = full_shop.order(order_id)
    assert warehouse("GET", f"/orders/{order_id}")[0] == 200
    assert warehouse("GET", "/stock/IPOD2008GREEN")[0] == 200
    assert warehouse("GET", f"/orders/{order_id}/shipments")[0] == 200
    refused = [
        ("POST", f"/orders/{order_id}/refunds", {"amount": "1.00", "reason": "goodwill"}),
        ("POST", f"/orders/{order_id}/cancel", {"reason": "customer"}),
        ("POST", f"/orders/{order_id}/notes", {"text": "hi", "visibility": "customer"}),
        ("PATCH", "/stores/demo-woo", {"settings": {"auto_fulfil": True}}),
        ("POST", "/subscriptions", {"url": "https://erp.example.com/hook", "events": ["OrderConfirmed"]}),
        ("POST", "/privacy/redactions", {"store_id": "demo-woo", "email": "ada@example.com"}),
    ]
    for method, path, body in refused:
        status, answer = warehouse(method, path, body)
        assert (status, answer["code"]) == (403, "forbidden"), (method, path, answer)
        assert "warehouse role may not call" in answer["message"]
    after = full_shop.order(order_id)
    assert (after["version"], after["status"], after.get("refunds")) == (
        before["version"],
        before["status"],
        before.get("refunds"),
    )
    assert full_shop.api("GET", "/stores/demo-woo")[1]["settings"]["auto_fulfil"] is False


def test_me_tells_each_role_what_it_may_call(full_shop: Stack) -> None:
    status, me = _as(full_shop, WAREHOUSE)("GET", "/me")
    assert (status, me["subject"], me["role"]) == (200, "w-1", "warehouse")
    assert "GET /shipments" in me["routes"]
    assert "POST /orders/{order_id}/refunds" not in me["routes"]
    assert _as(full_shop, STAFF)("GET", "/me")[1] == {"subject": "s-1", "role": "staff", "routes": ["*"]}


def test_a_user_given_no_group_may_call_nothing_but_a_machine_client_is_staff(full_shop: Stack) -> None:
    status, answer = _as(full_shop, NOBODY)("GET", "/orders")
    assert (status, answer["code"]) == (403, "no_role")
    machine = _as(full_shop, {"sub": "client-1", "client_id": "client-1", "token_use": "access"})
    assert machine("GET", "/me")[1]["role"] == "staff"
    assert machine("GET", "/orders")[0] == 200
