"""What to tell whom about each event (oms.notifications.plan)."""

from __future__ import annotations

from typing import Any

import pytest

from oms.intake_rules import decide
from oms.models import Order
from oms.notifications import Alert, Email, Sms, plan
from tests.unit.builders import actor, shopify_payload, snapshot, store


def order() -> Order:
    change = decide(None, snapshot(shopify_payload(lines={"A": 1})), actor())
    assert change is not None
    assert change.order is not None
    return change.order.order


def event(kind: str, **detail: Any) -> dict[str, Any]:
    return {"detail-type": kind, "detail": {"order_id": "unit-shop.1001", "store_id": "unit-shop", **detail}}


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("OrderConfirmed", "order #1001 confirmed"),
        ("OrderShipped", "order #1001 is on its way"),
        ("OrderDelivered", "order #1001 delivered"),
        ("OrderCancelled", "order #1001 cancelled"),
    ],
)
def test_the_customer_is_emailed_about_each_step_of_their_order(kind: str, subject: str) -> None:
    (email,) = plan(event(kind), order(), store(), email_enabled=True)
    assert isinstance(email, Email)
    assert email.to == order().customer.email
    assert email.subject == f"Unit shop: {subject}"


def test_the_shipped_email_lists_every_tracking_number() -> None:
    tracking = [{"carrier": "UPS", "tracking_number": "1Z1", "tracking_url": "https://t/1"}]
    (email,) = plan(event("OrderShipped", tracking=tracking), order(), store(), email_enabled=True)
    assert isinstance(email, Email)
    assert "UPS: 1Z1 https://t/1" in email.text


def test_no_email_without_a_sender_a_store_setting_or_an_address() -> None:
    assert plan(event("OrderConfirmed"), order(), store(), email_enabled=False) == []
    assert (
        plan(event("OrderConfirmed"), order(), store(notify_customer_email=False), email_enabled=True) == []
    )
    no_address = order().model_copy(update={"customer": order().customer.model_copy(update={"email": None})})
    assert plan(event("OrderConfirmed"), no_address, store(), email_enabled=True) == []


def test_texts_go_out_for_shipping_only_and_only_when_the_store_asks() -> None:
    no_phone = order().model_copy(update={"customer": order().customer.model_copy(update={"phone": None})})
    assert plan(event("OrderShipped"), no_phone, store(notify_customer_sms=True), email_enabled=False) == []
    with_phone = order().model_copy(
        update={"customer": order().customer.model_copy(update={"phone": "+15555550100"})}
    )
    sent = plan(event("OrderShipped"), with_phone, store(notify_customer_sms=True), email_enabled=False)
    assert [type(n) for n in sent] == [Sms]
    assert plan(event("OrderShipped"), with_phone, store(), email_enabled=False) == []
    assert (
        plan(event("OrderConfirmed"), with_phone, store(notify_customer_sms=True), email_enabled=False) == []
    )


def test_staff_are_alerted_about_holds_low_stock_and_parcel_problems_with_no_customer_data() -> None:
    hold = {"reason": "out_of_stock", "short_lines": [{"sku": "A", "requested": 2, "available": 1}]}
    (alert,) = plan(event("OrderOnHold", number="#1001", hold=hold), order(), store(), email_enabled=True)
    assert isinstance(alert, Alert)
    assert alert.subject == "Order #1001 on hold: out_of_stock"
    assert "A needs 2, has 1" in alert.text
    assert order().customer.email not in alert.text
    (low,) = plan(event("LowStock", sku="A", available=3, threshold=5), None, None, email_enabled=True)
    assert isinstance(low, Alert)
    assert low.subject == "Low stock: A"
    (problem,) = plan(
        event("ShipmentException", shipment_id="s-1", problem="stalled", tracking_number="1Z", carrier="UPS"),
        None,
        None,
        email_enabled=True,
    )
    assert isinstance(problem, Alert)
    assert "stalled" in problem.text


def test_an_event_nobody_is_told_about_plans_nothing() -> None:
    assert plan(event("ShipmentPacked"), order(), store(), email_enabled=True) == []
