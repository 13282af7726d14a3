"""Roles from a token's claims, and the routes each may call (oms.staff_roles)."""

from __future__ import annotations

from oms.staff_roles import Role, may_call, role_of


def test_groups_arrive_as_a_list_or_as_api_gateways_bracketed_string() -> None:
    assert role_of({"cognito:username": "a", "cognito:groups": ["warehouse"]}) is Role.WAREHOUSE
    assert role_of({"cognito:username": "a", "cognito:groups": "[warehouse staff]"}) is Role.STAFF
    assert role_of({"email": "a@example.com", "custom:role": "warehouse"}) is Role.WAREHOUSE


def test_a_person_with_no_role_has_none_and_a_machine_client_is_staff() -> None:
    assert role_of({"cognito:username": "a", "cognito:groups": "[marketing]"}) is None
    assert role_of({"username": "a"}) is None
    assert role_of({"sub": "client", "client_id": "client", "token_use": "access"}) is Role.STAFF


def test_the_warehouse_may_ship_and_count_stock_but_not_refund_or_change_settings() -> None:
    assert may_call(Role.WAREHOUSE, "POST /shipments/{shipment_id}/ship")
    assert may_call(Role.WAREHOUSE, "PUT /stock/{sku}")
    assert may_call(Role.WAREHOUSE, "POST /returns/{return_id}/receive")
    assert not may_call(Role.WAREHOUSE, "POST /orders/{order_id}/refunds")
    assert not may_call(Role.WAREHOUSE, "PATCH /stores/{store_id}")
    assert may_call(Role.STAFF, "PATCH /stores/{store_id}")
    assert not may_call(None, "GET /orders")
