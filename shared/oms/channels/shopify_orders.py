"""Shopify REST order payloads (orders/create, orders/updated, orders/paid, orders/cancelled)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from oms.channels.payload_fields import describe, ident, money, order_id, split_tags, text
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

if TYPE_CHECKING:
    from oms.channels.incoming import FulfilmentReported, RefundReported

_FINANCIAL_STATUS = {
    "pending": PaymentStatus.PENDING,
    "authorized": PaymentStatus.AUTHORIZED,
    "partially_paid": PaymentStatus.PARTIALLY_PAID,
    "paid": PaymentStatus.PAID,
    "partially_refunded": PaymentStatus.PARTIALLY_REFUNDED,
    "refunded": PaymentStatus.REFUNDED,
    "voided": PaymentStatus.VOIDED,
    "expired": PaymentStatus.FAILED,
}


def _address(data: Any) -> Address | None:
    if not isinstance(data, dict):
        return None
    return Address(
        name=text(data.get("name"))
        or text(" ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)),
        company=text(data.get("company")),
        line1=text(data.get("address1")),
        line2=text(data.get("address2")),
        city=text(data.get("city")),
        province=text(data.get("province")),
        province_code=text(data.get("province_code")),
        postal_code=text(data.get("zip")),
        country_code=text(data.get("country_code")),
        phone=text(data.get("phone")),
    )


_MISSING = object()


def _inventory_tracked(data: dict[str, Any]) -> bool | None:
    """``variant_inventory_management``: null when Shopify does not track the variant's stock,
    ``shopify`` or an app's handle when something does; absent from older payloads (unknown)."""
    value = data.get("variant_inventory_management", _MISSING)
    if value is _MISSING:
        return None
    return bool(value)


def _line(data: dict[str, Any], currency: str) -> LineItem:
    quantity = int(data["quantity"])
    unit_price = money(data.get("price"), currency)
    tax = sum((money(t.get("price"), currency) for t in data.get("tax_lines") or []), Money.zero(currency))
    return LineItem(
        line_id=str(data["id"]),
        sku=text(data.get("sku")),
        name=text(data.get("name")) or text(data.get("title")) or "item",
        quantity=quantity,
        current_quantity=data.get("current_quantity"),
        unit_price=unit_price,
        line_total=unit_price.times(quantity),
        discount=_line_discount(data, currency),
        tax=tax,
        requires_shipping=bool(data.get("requires_shipping", True)),
        grams=data.get("grams"),
        product_id=ident(data.get("product_id")),
        variant_id=ident(data.get("variant_id")),
        gift_card=bool(data.get("gift_card")),
        inventory_tracked=_inventory_tracked(data),
        product_type=text(data.get("product_type")),
    )


def _line_discount(data: dict[str, Any], currency: str) -> Money:
    """The line's share of every discount: its ``discount_allocations`` (order-level codes spread
    over the lines by Shopify), else the older ``total_discount``."""
    allocations = data.get("discount_allocations")
    if isinstance(allocations, list) and allocations:
        return sum((money(a.get("amount"), currency) for a in allocations), Money.zero(currency))
    return money(data.get("total_discount"), currency)


def refund(data: dict[str, Any], currency: str) -> ChannelRefund:
    """A refund (in an order's ``refunds``, or a refunds/create body): the money is what its refund
    transactions returned (the lines' subtotals can differ: a partial or a discrepancy refund)."""
    returned = [
        t
        for t in data.get("transactions") or []
        if t.get("kind") == "refund" and t.get("status") in (None, "success")
    ]
    legacy = "legacy_restock" if data.get("restock") else None
    return ChannelRefund(
        refund_id=str(data["id"]),
        total=sum((money(t.get("amount"), currency) for t in returned), Money.zero(currency)),
        lines=[
            ChannelRefundLine(
                line_id=str(item.get("line_item_id")),
                quantity=int(item.get("quantity") or 0),
                restock_type=text(item.get("restock_type")) or legacy,
            )
            for item in data.get("refund_line_items") or []
        ],
        note=text(data.get("note")),
    )


def refund_reported(payload: dict[str, Any], *, store_id: str, received_at: datetime) -> RefundReported:
    """A refunds/create body: one refund of an order (in the shop's currency)."""
    from oms.channels.incoming import RefundReported

    try:
        currency = text(payload.get("currency")) or _refund_currency(payload)
        return RefundReported(
            channel=Channel.SHOPIFY,
            store_id=store_id,
            channel_order_id=order_id(payload.get("order_id")),
            refund=refund(payload, currency),
            at=received_at,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"not a Shopify refund: {describe(exc)}", code="invalid_payload") from exc


def _refund_currency(payload: dict[str, Any]) -> str:
    for t in payload.get("transactions") or []:
        if t.get("currency"):
            return str(t["currency"])
    raise ValueError("the refund names no currency")


def _first(data: dict[str, Any], single: str, many: str) -> str | None:
    values = data.get(many)
    if isinstance(values, list) and values:
        return text(values[0])
    return text(data.get(single))


def fulfilment(data: dict[str, Any]) -> ChannelFulfilment:
    """One Shopify fulfillment (inside an order, or a fulfillments/* webhook's body)."""
    return ChannelFulfilment(
        fulfilment_id=str(data["id"]),
        status=str(data.get("status") or "success").lower(),
        lines=[
            ChannelFulfilmentLine(line_id=str(item["id"]), quantity=int(item.get("quantity") or 0))
            for item in data.get("line_items") or []
            if isinstance(item, dict) and item.get("id") is not None
        ],
        tracking_company=text(data.get("tracking_company")),
        tracking_number=_first(data, "tracking_number", "tracking_numbers"),
        tracking_url=_first(data, "tracking_url", "tracking_urls"),
        shipment_status=text(data.get("shipment_status")),
        created_at=data.get("created_at"),
    )


def _fulfilments(payload: dict[str, Any]) -> list[ChannelFulfilment]:
    """The order's fulfillments, plus what its lines say is fulfilled that none of them covers
    (a point-of-sale sale, or an order fulfilled before its fulfillments were listed)."""
    found = [fulfilment(f) for f in payload.get("fulfillments") or [] if isinstance(f, dict) and f.get("id")]
    covered: dict[str, int] = {}
    for f in found:
        if f.counts:
            for item in f.lines:
                covered[item.line_id] = covered.get(item.line_id, 0) + item.quantity
    rest = []
    for data in payload.get("line_items") or []:
        if not isinstance(data, dict) or data.get("id") is None:
            continue
        current = data.get("current_quantity", data.get("quantity")) or 0
        status = data.get("fulfillment_status")
        fulfillable = data.get("fulfillable_quantity")
        if status == "fulfilled":
            done = int(current)
        elif status == "partial" and fulfillable is not None:
            done = int(current) - int(fulfillable)
        else:
            done = 0
        missing = done - covered.get(str(data["id"]), 0)
        if missing > 0:
            rest.append(ChannelFulfilmentLine(line_id=str(data["id"]), quantity=missing))
    if rest:
        found.append(ChannelFulfilment(fulfilment_id="shopify:line-status", lines=rest))
    return found


def _shipping_total(payload: dict[str, Any], currency: str) -> Money:
    price_set = payload.get("total_shipping_price_set")
    if isinstance(price_set, dict) and isinstance(price_set.get("shop_money"), dict):
        return money(price_set["shop_money"].get("amount"), currency)
    # Older payloads carry no shipping total: the shipping lines are the channel's figures.
    return sum(
        (money(line.get("price"), currency) for line in payload.get("shipping_lines") or []),
        Money.zero(currency),
    )


def normalise(payload: dict[str, Any], *, topic: str, store_id: str) -> OrderSnapshot:
    try:
        currency = str(payload["currency"])
        customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
        assert isinstance(customer, dict)
        financial = str(payload.get("financial_status") or "").lower()
        cancelled = topic == "orders/cancelled" or bool(payload.get("cancelled_at"))
        return OrderSnapshot(
            channel=Channel.SHOPIFY,
            store_id=store_id,
            channel_order_id=order_id(payload.get("id")),
            number=text(payload.get("name")) or f"#{payload.get('order_number') or payload['id']}",
            currency=currency,
            customer=Customer(
                channel_customer_id=ident(customer.get("id")),
                email=text(customer.get("email")) or text(payload.get("email")),
                phone=text(customer.get("phone")) or text(payload.get("phone")),
                first_name=text(customer.get("first_name")),
                last_name=text(customer.get("last_name")),
            ),
            billing_address=_address(payload.get("billing_address")),
            shipping_address=_address(payload.get("shipping_address")),
            lines=[_line(line, currency) for line in payload.get("line_items") or []],
            shipping_lines=[
                ShippingLine(
                    title=text(line.get("title")) or "Shipping",
                    code=text(line.get("code")),
                    carrier=text(line.get("carrier_identifier")) or text(line.get("source")),
                    price=money(line.get("price"), currency),
                )
                for line in payload.get("shipping_lines") or []
            ],
            totals=Totals(
                subtotal=money(payload.get("subtotal_price"), currency),
                discounts=money(payload.get("total_discounts"), currency),
                tax=money(payload.get("total_tax"), currency),
                shipping=_shipping_total(payload, currency),
                total=money(payload.get("total_price"), currency),
                outstanding=(
                    money(payload["total_outstanding"], currency)
                    if payload.get("total_outstanding") is not None
                    else None
                ),
            ),
            payment_status=_FINANCIAL_STATUS.get(financial, PaymentStatus.UNKNOWN),
            channel_status=f"financial:{financial or 'unknown'}"
            + (f" fulfillment:{payload['fulfillment_status']}" if payload.get("fulfillment_status") else "")
            + (" cancelled" if cancelled else ""),
            cancelled=cancelled,
            cancel_reason=text(payload.get("cancel_reason")),
            tags=split_tags(payload.get("tags")),
            note=text(payload.get("note")),
            source=text(payload.get("source_name")),
            taxes_included=bool(payload.get("taxes_included")),
            placed_at=payload.get("created_at") or payload.get("processed_at"),
            channel_updated_at=payload.get("updated_at") or payload.get("created_at"),
            channel_fulfilments=_fulfilments(payload),
            channel_refunds=[
                refund(r, currency) for r in payload.get("refunds") or [] if isinstance(r, dict)
            ],
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise BadRequest(f"not a Shopify order: {describe(exc)}", code="invalid_payload") from exc


def fulfilment_reported(
    payload: dict[str, Any], *, store_id: str, received_at: datetime
) -> FulfilmentReported:
    """A fulfillments/create or fulfillments/update body: one fulfillment of an order."""
    from oms.channels.incoming import FulfilmentReported

    try:
        return FulfilmentReported(
            channel=Channel.SHOPIFY,
            store_id=store_id,
            channel_order_id=order_id(payload.get("order_id")),
            fulfilment=fulfilment(payload),
            at=received_at,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"not a Shopify fulfillment: {describe(exc)}", code="invalid_payload") from exc
