"""The real payloads in ../shared/fixtures, normalised field by field."""

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from oms.channels.incoming import OrderDeleted, normalise
from oms.errors import BadRequest
from oms.models import OrderSnapshot, PaymentStatus
from oms.money import Money
from oms_local.samples import fixture
from tests.replay import recorded

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


def _bigcommerce_document(**order_changes: object) -> dict[str, Any]:
    """The order 250 BigCommerce's API documents, as the intake reads it (tests/fixtures/exchanges)."""
    answers = {e["name"]: e["response"]["json"] for e in recorded("bigcommerce-order")["exchanges"]}
    order = copy.deepcopy(answers["Order"])
    order.update(order_changes)
    return {
        "order": order,
        "products": copy.deepcopy(answers["OrderProducts"]),
        "shipping_addresses": copy.deepcopy(answers["OrderShippingAddresses"]),
        "refunds": [],
    }


def _bigcommerce(document: dict[str, Any] | None) -> OrderSnapshot | OrderDeleted:
    return normalise(
        "bigcommerce",
        "store/order/created",
        document,
        store_id="acme-bc",
        received_at=NOW,
        channel_order_id="250",
    )


def test_a_bigcommerce_order_is_read_field_by_field_from_its_api_documents() -> None:
    snap = _bigcommerce(_bigcommerce_document())
    assert isinstance(snap, OrderSnapshot)
    assert (snap.channel_order_id, snap.number, snap.store_id) == ("250", "250", "acme-bc")
    # The documented example's `currency_code"` key (a stray quote): the store's default names it.
    assert snap.currency == "USD"
    assert [(line.line_id, line.sku, line.quantity) for line in snap.lines] == [
        ("65", "S-ORAN", 1),
        ("66", "ABS", 1),
    ]
    first = snap.lines[0]
    assert (first.unit_price, first.line_total, first.tax) == (
        Money.of("55.99", "USD"),
        Money.of("55.99", "USD"),
        Money.of("9.24", "USD"),
    )
    assert first.discount == Money.of("1.59", "USD")  # its applied manual discount
    assert first.product_id == "77"
    totals = snap.totals
    assert (totals.subtotal, totals.shipping, totals.tax, totals.total) == (
        Money.of("924.47", "USD"),
        Money.of("7.39", "USD"),
        Money.of("76.88", "USD"),
        Money.of("1008.74", "USD"),
    )
    assert snap.payment_status == PaymentStatus.PAID  # Awaiting Fulfillment, captured
    assert snap.channel_status == "awaiting_fulfillment"
    assert not snap.cancelled
    assert snap.customer.email == "janedoe@email.com"
    assert snap.shipping_address is not None
    assert (
        snap.shipping_address.name,
        snap.shipping_address.postal_code,
        snap.shipping_address.country_code,
    ) == (
        "Trishy Smith",
        "78251",
        "US",
    )
    assert snap.placed_at == datetime(2019, 6, 20, 16, 7, 8, tzinfo=UTC)
    assert snap.channel_updated_at == datetime(2019, 6, 20, 16, 7, 8, tzinfo=UTC)
    assert snap.note == "Custom Journal Added"
    assert snap.channel_fulfilments == []


def test_bigcommerce_four_decimal_amounts_round_half_even_and_tax_inclusive_stores_use_inclusive_prices() -> (
    None
):
    document = _bigcommerce_document(is_tax_inclusive_pricing=True, subtotal_inc_tax="1000.745")
    snap = _bigcommerce(document)
    assert isinstance(snap, OrderSnapshot)
    assert snap.taxes_included
    assert snap.lines[0].unit_price == Money.of("65.23", "USD")  # price_inc_tax
    assert snap.totals.subtotal == Money.of("1000.74", "USD")
    assert snap.totals.shipping == Money.of("8.00", "USD")


@pytest.mark.parametrize(
    ("status_id", "payment", "cancelled"),
    [
        (0, PaymentStatus.PENDING, False),
        (7, PaymentStatus.PENDING, False),
        (12, PaymentStatus.PENDING, False),
        (11, PaymentStatus.PAID, False),
        (10, PaymentStatus.PAID, False),
        (14, PaymentStatus.PARTIALLY_REFUNDED, False),
        (4, PaymentStatus.REFUNDED, False),
        (5, PaymentStatus.VOIDED, True),
        (6, PaymentStatus.FAILED, False),
        (99, PaymentStatus.UNKNOWN, False),
    ],
)
def test_bigcommerce_statuses_map_to_payment_and_cancellation(
    status_id: int, payment: PaymentStatus, cancelled: bool
) -> None:
    snap = _bigcommerce(_bigcommerce_document(status_id=status_id))
    assert isinstance(snap, OrderSnapshot)
    assert (snap.payment_status, snap.cancelled) == (payment, cancelled)


def test_a_bigcommerce_order_awaiting_fulfillment_with_an_authorized_payment_is_authorized_not_paid() -> None:
    snap = _bigcommerce(_bigcommerce_document(payment_status="authorized"))
    assert isinstance(snap, OrderSnapshot)
    assert snap.payment_status == PaymentStatus.AUTHORIZED


def test_units_bigcommerce_shipped_and_its_refunds_are_the_channels_fulfilment_and_refunds() -> None:
    document = _bigcommerce_document(status_id=3, refunded_amount="10.0000")
    document["products"][0]["quantity_shipped"] = 1
    document["refunds"] = [
        {
            "id": 3,
            "order_id": 250,
            "reason": "Not the right product.",
            "total_amount": 35.0,
            "items": [
                {"item_type": "PRODUCT", "item_id": 65, "quantity": 1},
                {"item_type": "SHIPPING", "item_id": 132, "requested_amount": 5.0},
            ],
        }
    ]
    snap = _bigcommerce(document)
    assert isinstance(snap, OrderSnapshot)
    assert snap.channel_fulfilled() == {"65": 1}
    (refund,) = snap.channel_refunds
    assert (refund.refund_id, refund.total, refund.note) == (
        "3",
        Money.of("35.00", "USD"),
        "Not the right product.",
    )
    assert [(line.line_id, line.quantity) for line in refund.lines] == [("65", 1)]


def test_a_bigcommerce_order_the_api_no_longer_has_or_archived_is_deleted() -> None:
    assert isinstance(_bigcommerce(None), OrderDeleted)
    assert isinstance(_bigcommerce(_bigcommerce_document(is_deleted=True)), OrderDeleted)


def test_a_bigcommerce_document_without_currency_or_lines_is_refused_without_echoing_values() -> None:
    document = _bigcommerce_document(default_currency_code="", currency_code="")
    with pytest.raises(BadRequest) as error:
        _bigcommerce(document)
    assert error.value.code == "invalid_payload"
    broken = _bigcommerce_document()
    del broken["products"][0]["quantity"]
    with pytest.raises(BadRequest) as error:
        _bigcommerce(broken)
    assert "janedoe" not in str(error.value)
