"""WooCommerce REST v3 order payloads (order.created, order.updated, order.deleted, order.restored)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from oms.channels.incoming import OrderDeleted
from oms.channels.payload_fields import describe, ident, money, order_id, rounded_money, text
from oms.errors import BadRequest
from oms.models import (
    Address,
    Channel,
    ChannelFulfilment,
    ChannelFulfilmentLine,
    ChannelRefund,
    Customer,
    LineItem,
    OrderSnapshot,
    PaymentStatus,
    ShippingLine,
    Totals,
)
from oms.money import Money

# WooCommerce order status -> what it says about payment.
_PAYMENT = {
    "pending": PaymentStatus.PENDING,  # awaiting payment
    "on-hold": PaymentStatus.PENDING,  # awaiting confirmation of an offline payment (BACS, cheque)
    "checkout-draft": PaymentStatus.PENDING,
    "processing": PaymentStatus.PAID,
    "completed": PaymentStatus.PAID,
    "refunded": PaymentStatus.REFUNDED,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.VOIDED,
    "trash": PaymentStatus.VOIDED,
}
_CANCELLED = {"cancelled", "trash"}


def _gmt(payload: dict[str, Any], name: str) -> str | None:
    """WooCommerce dates are site-local without an offset; the ``*_gmt`` twin is UTC."""
    value = payload.get(f"{name}_gmt") or payload.get(name)
    return str(value) + "Z" if value and not str(value).endswith("Z") else value


def _address(data: Any) -> Address | None:
    if not isinstance(data, dict) or not any(data.values()):
        return None
    return Address(
        name=text(" ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)),
        company=text(data.get("company")),
        line1=text(data.get("address_1")),
        line2=text(data.get("address_2")),
        city=text(data.get("city")),
        province_code=text(data.get("state")),
        postal_code=text(data.get("postcode")),
        country_code=text(data.get("country")),
        phone=text(data.get("phone")),
    )


def _line(data: dict[str, Any], currency: str) -> LineItem:
    quantity = int(data["quantity"])
    subtotal = money(data.get("subtotal"), currency)
    total = money(data.get("total"), currency)
    # ``price`` is a float (``total / quantity``) and may carry more decimals than the currency.
    unit_price = rounded_money(data["price"], currency) if data.get("price") is not None else subtotal
    return LineItem(
        line_id=str(data["id"]),
        sku=text(data.get("sku")),
        name=html.unescape(text(data.get("name")) or "item"),
        quantity=quantity,
        unit_price=unit_price,
        line_total=subtotal,
        discount=subtotal - total,
        tax=money(data.get("total_tax"), currency),
        product_id=ident(data.get("product_id")),
        variant_id=ident(data.get("variation_id")),
    )


def _completed(payload: dict[str, Any], status: str, lines: list[LineItem]) -> list[ChannelFulfilment]:
    """WooCommerce has no fulfilments: an order marked ``completed`` has had everything delivered
    (by the merchant, or by us: our push completes an order once all of it has shipped)."""
    if status != "completed":
        return []
    return [
        ChannelFulfilment(
            fulfilment_id="woocommerce:completed",
            lines=[
                ChannelFulfilmentLine(line_id=line.line_id, quantity=line.open_quantity) for line in lines
            ],
            created_at=_gmt(payload, "date_completed"),
        )
    ]


def _refund(data: dict[str, Any], currency: str) -> ChannelRefund:
    """An order's ``refunds`` entry: its id, reason and total (negative, as WooCommerce writes it)."""
    total = money(str(data.get("total", "0")).lstrip("-"), currency)
    return ChannelRefund(refund_id=str(data["id"]), total=total, note=text(data.get("reason")))


def normalise(
    payload: dict[str, Any], *, topic: str, store_id: str, received_at: datetime
) -> OrderSnapshot | OrderDeleted:
    try:
        if topic == "order.deleted":
            return OrderDeleted(
                channel=Channel.WOOCOMMERCE,
                store_id=store_id,
                channel_order_id=order_id(payload.get("id")),
                at=received_at,
            )
        currency = str(payload["currency"])
        status = str(payload.get("status") or "").lower()
        billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
        assert isinstance(billing, dict)
        lines = [_line(line, currency) for line in payload.get("line_items") or []]
        return OrderSnapshot(
            channel=Channel.WOOCOMMERCE,
            store_id=store_id,
            channel_order_id=order_id(payload.get("id")),
            number=text(payload.get("number")) or str(payload["id"]),
            currency=currency,
            customer=Customer(
                channel_customer_id=ident(payload.get("customer_id")),  # 0 is a guest
                email=text(billing.get("email")),
                phone=text(billing.get("phone")),
                first_name=text(billing.get("first_name")),
                last_name=text(billing.get("last_name")),
            ),
            billing_address=_address(billing),
            shipping_address=_address(payload.get("shipping")),
            lines=lines,
            shipping_lines=[
                ShippingLine(
                    title=html.unescape(text(line.get("method_title")) or "Shipping"),
                    code=text(line.get("method_id")),
                    price=money(line.get("total"), currency),
                )
                for line in payload.get("shipping_lines") or []
            ],
            totals=Totals(
                # WooCommerce reports no order subtotal; its line subtotals are its figures.
                subtotal=sum((line.line_total for line in lines), Money.zero(currency)),
                discounts=money(payload.get("discount_total"), currency),
                tax=money(payload.get("total_tax"), currency),
                shipping=money(payload.get("shipping_total"), currency),
                total=money(payload.get("total"), currency),
            ),
            payment_status=_PAYMENT.get(status, PaymentStatus.UNKNOWN),
            channel_status=status or "unknown",
            cancelled=status in _CANCELLED,
            note=text(payload.get("customer_note")),
            source=text(payload.get("created_via")),
            placed_at=_gmt(payload, "date_created"),
            channel_updated_at=_gmt(payload, "date_modified") or _gmt(payload, "date_created"),
            channel_fulfilments=_completed(payload, status, lines),
            channel_refunds=[
                _refund(r, currency) for r in payload.get("refunds") or [] if isinstance(r, dict)
            ],
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise BadRequest(f"not a WooCommerce order: {describe(exc)}", code="invalid_payload") from exc
