"""BigCommerce orders, as the intake reads them from its V2 API after a webhook named one
(``{"order", "products", "shipping_addresses", "refunds"}``, oms.integrations.bigcommerce_api).

Status mapping (``status_id``; the order's own word is kept as ``channel_status``):

| id | BigCommerce | payment | cancelled |
|---|---|---|---|
| 0 | Incomplete (checkout not finished) | pending | |
| 1 | Pending | pending | |
| 7 | Awaiting Payment | pending | |
| 12 | Manual Verification Required | pending (held until verified) | |
| 8, 9, 11 | Awaiting Pickup / Shipment / Fulfillment | paid (authorized when ``payment_status`` says so) | |
| 2, 3, 10 | Shipped, Partially Shipped, Completed | paid | |
| 13 | Disputed | paid (the dispute is between the store and the payer) | |
| 14 | Partially Refunded | partially refunded | |
| 4 | Refunded | refunded | |
| 5 | Cancelled | voided | yes |
| 6 | Declined | failed | |

Amounts are strings with four decimals (``'62.6793'``): rounded half-even to the currency's
minor unit. Prices are the tax-exclusive ones unless the store prices tax-inclusive
(``is_tax_inclusive_pricing``). Units BigCommerce shipped itself (``quantity_shipped``, from its
admin or from our pushed shipments) are one cumulative channel fulfilment; its refunds (V3) are
channel refunds with their refunded units (BigCommerce does not say whether they were restocked).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from oms.channels.incoming import OrderDeleted
from oms.channels.payload_fields import describe, ident, order_id, rfc2822_time, rounded_money, text
from oms.errors import BadRequest
from oms.models import (
    Address,
    Channel,
    ChannelFulfilment,
    ChannelFulfilmentLine,
    ChannelRefund,
    ChannelRefundLine,
    Customer,
    LineItem,
    OrderSnapshot,
    PaymentStatus,
    ShippingLine,
    Totals,
)
from oms.money import Money

_PAYMENT = {
    0: PaymentStatus.PENDING,
    1: PaymentStatus.PENDING,
    7: PaymentStatus.PENDING,
    12: PaymentStatus.PENDING,
    8: PaymentStatus.PAID,
    9: PaymentStatus.PAID,
    11: PaymentStatus.PAID,
    2: PaymentStatus.PAID,
    3: PaymentStatus.PAID,
    10: PaymentStatus.PAID,
    13: PaymentStatus.PAID,
    14: PaymentStatus.PARTIALLY_REFUNDED,
    4: PaymentStatus.REFUNDED,
    5: PaymentStatus.VOIDED,
    6: PaymentStatus.FAILED,
}
_AWAITING_SHIPMENT = frozenset({8, 9, 11})
_CANCELLED = 5
SHIPPED_ID = "bigcommerce:shipped"


def _money(value: Any, currency: str) -> Money:
    return rounded_money(value, currency)


def _address(data: Any) -> Address | None:
    if not isinstance(data, dict) or not any(data.get(k) for k in ("street_1", "city", "zip", "last_name")):
        return None
    return Address(
        name=text(" ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)),
        company=text(data.get("company")),
        line1=text(data.get("street_1")),
        line2=text(data.get("street_2")),
        city=text(data.get("city")),
        province=text(data.get("state")),
        postal_code=text(data.get("zip")),
        country_code=text(data.get("country_iso2")),
        phone=text(data.get("phone")),
    )


def _line(data: dict[str, Any], currency: str, inclusive: bool) -> LineItem:
    suffix = "inc_tax" if inclusive else "ex_tax"
    quantity = int(data["quantity"])
    discount = sum(
        (
            Decimal(str(d.get("amount") or "0"))
            for d in data.get("applied_discounts") or []
            if isinstance(d, dict)
        ),
        Decimal(0),
    )
    return LineItem(
        line_id=str(data["id"]),
        sku=text(data.get("sku")),
        name=text(data.get("name")) or "item",
        quantity=quantity,
        unit_price=_money(data.get(f"price_{suffix}"), currency),
        line_total=_money(data.get(f"total_{suffix}"), currency),
        discount=_money(discount, currency),
        tax=_money(data.get("total_tax"), currency),
        requires_shipping=str(data.get("type") or "physical") == "physical",
        grams=None,
        product_id=ident(data.get("product_id")),
        variant_id=ident(data.get("variant_id")),
        gift_card=bool(data.get("gift_certificate_id")),
    )


def _shipped(products: list[dict[str, Any]], at: datetime | None) -> list[ChannelFulfilment]:
    lines = [
        ChannelFulfilmentLine(line_id=str(p["id"]), quantity=int(p.get("quantity_shipped") or 0))
        for p in products
        if int(p.get("quantity_shipped") or 0) > 0
    ]
    if not lines:
        return []
    return [ChannelFulfilment(fulfilment_id=SHIPPED_ID, lines=lines, created_at=at)]


def _refund(data: dict[str, Any], currency: str) -> ChannelRefund:
    return ChannelRefund(
        refund_id=str(data["id"]),
        total=_money(data.get("total_amount"), currency),
        lines=[
            ChannelRefundLine(line_id=str(item["item_id"]), quantity=int(item.get("quantity") or 0))
            for item in data.get("items") or []
            if isinstance(item, dict)
            and item.get("item_type") == "PRODUCT"
            and item.get("item_id") is not None
        ],
        note=text(data.get("reason")),
    )


def _payment(order: dict[str, Any], status_id: int) -> PaymentStatus:
    status = _PAYMENT.get(status_id, PaymentStatus.UNKNOWN)
    if status_id in _AWAITING_SHIPMENT and str(order.get("payment_status") or "").lower() == "authorized":
        return PaymentStatus.AUTHORIZED
    return status


def normalise(
    document: dict[str, Any] | None, *, channel_order_id: str, store_id: str, received_at: datetime
) -> OrderSnapshot | OrderDeleted:
    """The order as BigCommerce's API shows it; an order it no longer has (``None``) or has archived
    (``is_deleted``) is deleted for us."""
    order = (document or {}).get("order")
    if not isinstance(order, dict) or order.get("is_deleted"):
        return OrderDeleted(
            channel=Channel.BIGCOMMERCE, store_id=store_id, channel_order_id=channel_order_id, at=received_at
        )
    assert document is not None
    try:
        currency = str(order.get("currency_code") or order.get("default_currency_code") or "").upper()
        if len(currency) != 3:
            raise ValueError("the order has no currency")
        inclusive = bool(order.get("is_tax_inclusive_pricing"))
        suffix = "inc_tax" if inclusive else "ex_tax"
        status_id = int(order.get("status_id") or 0)
        products = [p for p in document.get("products") or [] if isinstance(p, dict)]
        addresses = [a for a in document.get("shipping_addresses") or [] if isinstance(a, dict)]
        billing = order.get("billing_address") if isinstance(order.get("billing_address"), dict) else {}
        assert isinstance(billing, dict)
        placed = rfc2822_time(order.get("date_created")) or received_at
        return OrderSnapshot(
            channel=Channel.BIGCOMMERCE,
            store_id=store_id,
            channel_order_id=order_id(order.get("id")),
            number=str(order["id"]),
            currency=currency,
            customer=Customer(
                channel_customer_id=ident(order.get("customer_id")),  # 0 is a guest
                email=text(billing.get("email")),
                phone=text(billing.get("phone")),
                first_name=text(billing.get("first_name")),
                last_name=text(billing.get("last_name")),
            ),
            billing_address=_address(billing),
            shipping_address=_address(addresses[0]) if addresses else None,
            lines=[_line(p, currency, inclusive) for p in products],
            shipping_lines=[
                ShippingLine(
                    title=text(a.get("shipping_method")) or "Shipping",
                    code=ident(a.get("shipping_zone_id")),
                    price=_money(a.get(f"cost_{suffix}"), currency),
                )
                for a in addresses
            ],
            totals=Totals(
                subtotal=_money(order.get(f"subtotal_{suffix}"), currency),
                discounts=_money(order.get("discount_amount"), currency),
                tax=_money(order.get("total_tax"), currency),
                shipping=_money(order.get(f"shipping_cost_{suffix}"), currency),
                total=_money(order.get("total_inc_tax"), currency),
            ),
            payment_status=_payment(order, status_id),
            channel_status=(text(order.get("status")) or str(status_id)).lower().replace(" ", "_"),
            cancelled=status_id == _CANCELLED,
            note=text(order.get("customer_message")),
            source=text(order.get("order_source")),
            taxes_included=inclusive,
            placed_at=placed,
            channel_updated_at=rfc2822_time(order.get("date_modified")) or placed,
            channel_fulfilments=_shipped(products, rfc2822_time(order.get("date_shipped"))),
            channel_refunds=[
                _refund(r, currency)
                for r in document.get("refunds") or []
                if isinstance(r, dict) and r.get("id")
            ],
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise BadRequest(f"not a BigCommerce order: {describe(exc)}", code="invalid_payload") from exc
