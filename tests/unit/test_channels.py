"""The real payloads in ../shared/fixtures, normalised field by field."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oms.channels.incoming import OrderDeleted, normalise
from oms.errors import BadRequest
from oms.models import OrderSnapshot, PaymentStatus
from oms.money import Money
from oms_local.samples import fixture

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _shopify(name: str, topic: str = "orders/create") -> OrderSnapshot:
    snap = normalise("shopify", topic, fixture(name), store_id="acme-shop", received_at=NOW)
    assert isinstance(snap, OrderSnapshot)
    return snap


@pytest.mark.parametrize(
    "name",
    ["shopify/orders-create.json", "shopify/orders-create-recent.json", "shopify/orders-cancelled.json"],
)
def test_shopify_lines_quantities_currency_and_totals_equal_the_payload(name: str) -> None:
    payload = fixture(name)
    snap = _shopify(name)
    assert snap.channel_order_id == str(payload["id"])
    assert snap.number == payload["name"]
    assert snap.currency == payload["currency"]
    assert [(line.sku, line.quantity, str(line.unit_price.amount)) for line in snap.lines] == [
        (li["sku"], li["quantity"], li["price"]) for li in payload["line_items"]
    ]
    assert [line.line_id for line in snap.lines] == [str(li["id"]) for li in payload["line_items"]]
    totals = snap.totals
    assert str(totals.subtotal.amount) == payload["subtotal_price"]
    assert str(totals.discounts.amount) == payload["total_discounts"]
    assert str(totals.tax.amount) == payload["total_tax"]
    assert str(totals.total.amount) == payload["total_price"]
    assert {m.currency for m in (totals.subtotal, totals.tax, totals.total)} == {payload["currency"]}


def test_shopify_old_fixture_keeps_the_channels_figures_even_when_they_disagree() -> None:
    snap = _shopify("shopify/orders-create.json")
    # Three lines at 199.00 but the channel says the subtotal is 398.00: we keep 398.00.
    assert sum(line.line_total.amount for line in snap.lines) == Decimal("597.00")
    assert snap.totals.subtotal.amount == Decimal("398.00")
    assert snap.totals.discounts.amount == Decimal("0.00")  # TENOFF exists, the channel says 0.00
    assert snap.payment_status == PaymentStatus.AUTHORIZED
    assert snap.placed_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)  # -05:00 converted to UTC
    assert snap.shipping_address is not None
    assert snap.shipping_address.country_code == "US"
    assert snap.lines[0].grams == 200
    assert snap.shipping_lines[0].title == "Free Shipping"


def test_shopify_recent_fixture_quirks() -> None:
    snap = _shopify("shopify/orders-create-recent.json")
    assert snap.payment_status == PaymentStatus.PAID
    assert snap.totals.outstanding is not None
    assert snap.totals.outstanding.amount == Decimal("131.09")
    assert snap.totals.shipping.amount == Decimal("0.00")  # from total_shipping_price_set, no lines
    assert snap.shipping_lines == []
    assert snap.source == "755357713"
    assert snap.tags == []
    assert snap.lines[0].current_quantity == 1


def test_shopify_cancel_topic_cancels_even_though_cancelled_at_is_null() -> None:
    payload = fixture("shopify/orders-cancelled.json")
    assert payload["cancelled_at"] is None
    snap = _shopify("shopify/orders-cancelled.json", topic="orders/cancelled")
    assert snap.cancelled is True
    assert snap.payment_status == PaymentStatus.REFUNDED
    assert [line.open_quantity for line in snap.lines] == [0, 1, 1]  # current_quantity wins
    assert snap.channel_updated_at == datetime(2024, 4, 2, 14, 3, 37, tzinfo=UTC)


def test_woocommerce_fixture_field_by_field() -> None:
    payload = fixture("woocommerce/order.json")
    snap = normalise("woocommerce", "order.created", payload, store_id="demo-woo", received_at=NOW)
    assert isinstance(snap, OrderSnapshot)
    assert (snap.channel_order_id, snap.number, snap.currency) == ("727", "727", "USD")
    assert [(line.sku, line.quantity) for line in snap.lines] == [(None, 2), ("Bar3", 1)]  # "" is no SKU
    assert [str(line.unit_price.amount) for line in snap.lines] == ["3.00", "12.00"]  # numbers, not strings
    assert [str(line.line_total.amount) for line in snap.lines] == ["6.00", "12.00"]
    assert snap.lines[1].name == "Ship Your Idea \u2013 Color: Black, Size: M Test"  # &ndash; decoded
    assert str(snap.totals.total.amount) == payload["total"]
    assert str(snap.totals.tax.amount) == payload["total_tax"]
    assert str(snap.totals.shipping.amount) == payload["shipping_total"]
    assert str(snap.totals.discounts.amount) == payload["discount_total"]
    assert snap.totals.subtotal.amount == Decimal("18.00")  # WooCommerce's own line subtotals
    assert snap.lines[1].tax is not None
    assert str(snap.lines[1].tax.amount) == "0.90"
    assert snap.payment_status == PaymentStatus.PAID  # processing
    assert snap.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)  # the _gmt twin, not site time
    assert snap.customer.channel_customer_id is None  # customer_id 0 is a guest
    assert snap.shipping_address is not None
    assert snap.shipping_address.phone is None


@pytest.mark.parametrize(
    ("status", "payment", "cancelled"),
    [
        ("pending", "pending", False),
        ("on-hold", "pending", False),
        ("processing", "paid", False),
        ("completed", "paid", False),
        ("cancelled", "voided", True),
        ("refunded", "refunded", False),
        ("failed", "failed", False),
        ("some-plugin-status", "unknown", False),
    ],
)
def test_woocommerce_statuses_map_to_payment_and_cancellation(
    status: str, payment: str, cancelled: bool
) -> None:
    payload = {**fixture("woocommerce/order.json"), "status": status}
    snap = normalise("woocommerce", "order.updated", payload, store_id="demo-woo", received_at=NOW)
    assert isinstance(snap, OrderSnapshot)
    assert (snap.payment_status.value, snap.cancelled) == (payment, cancelled)


def test_woocommerce_deleted_carries_only_the_id() -> None:
    result = normalise("woocommerce", "order.deleted", {"id": 727}, store_id="demo-woo", received_at=NOW)
    assert isinstance(result, OrderDeleted)
    assert result.channel_order_id == "727"


def test_zero_decimal_currency_orders_keep_whole_amounts() -> None:
    payload = fixture("shopify/orders-create-recent.json")
    payload.update(
        currency="JPY",
        total_price="18109",
        subtotal_price="18109",
        total_discounts="1791",
        total_tax="0",
        total_outstanding="0",
    )
    payload["line_items"][0]["price"] = "19900"
    payload["line_items"][0]["discount_allocations"][0]["amount"] = "1791"
    payload["total_shipping_price_set"] = {"shop_money": {"amount": "0", "currency_code": "JPY"}}
    snap = normalise("shopify", "orders/create", payload, store_id="acme-shop", received_at=NOW)
    assert isinstance(snap, OrderSnapshot)
    assert str(snap.totals.total.amount) == "18109"
    assert snap.lines[0].unit_price.minor_units == 19900
    assert snap.lines[0].discount == Money.of("1791", "JPY")  # its share of the order's discount


@pytest.mark.parametrize(
    "change", [{"currency": None}, {"line_items": [{"id": 1}]}, {"id": None}, {"total_price": "12.3.4"}]
)
def test_malformed_payloads_are_a_clear_error_without_echoing_values(change: dict[str, object]) -> None:
    payload = {**fixture("shopify/orders-create.json"), **change}
    with pytest.raises(BadRequest) as caught:
        normalise("shopify", "orders/create", payload, store_id="acme-shop", received_at=NOW)
    assert caught.value.code == "invalid_payload"
    assert "bob.norman" not in caught.value.message
