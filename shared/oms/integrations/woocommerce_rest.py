"""Telling WooCommerce about an order (REST API v3): a note to the customer when a shipment leaves
(with its tracking number) or when staff write one for the customer; once every line has shipped,
the order's status set to ``completed``; refunds (through the payment gateway) and cancellations,
each made once under our id (``_oms_refund_id`` in the refund's meta data, checked first)."""

from __future__ import annotations

import base64
from typing import Any

from oms.integrations.http_transport import Transport, call_json
from oms.models import Order, Refund
from oms.shipments import Shipment


def _base(site_url: str, order: Order) -> str:
    return f"{site_url.rstrip('/')}/wp-json/wc/v3/orders/{order.channel_order_id}"


def basic_auth(consumer_key: str, consumer_secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def shipment_note(shipment: Shipment) -> str:
    items = sum(line.quantity for line in shipment.lines)
    label = shipment.label
    if label is None or not label.tracking_number:
        return f"{items} item(s) shipped."
    via = " ".join(p for p in (label.carrier, label.service) if p)
    return f"{items} item(s) shipped with {via}. Tracking number: {label.tracking_number}" + (
        f" ({label.tracking_url})" if label.tracking_url else ""
    )


def add_note(
    transport: Transport,
    *,
    site_url: str,
    consumer_key: str,
    consumer_secret: str,
    order: Order,
    shipment: Shipment,
) -> dict[str, Any]:
    return add_customer_note(
        transport,
        site_url=site_url,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        order=order,
        text=shipment_note(shipment),
    )


def add_customer_note(
    transport: Transport, *, site_url: str, consumer_key: str, consumer_secret: str, order: Order, text: str
) -> dict[str, Any]:
    """A note WooCommerce shows the customer (and emails them, as its own customer-note email)."""
    created = call_json(
        transport,
        "POST",
        f"{_base(site_url, order)}/notes",
        headers=basic_auth(consumer_key, consumer_secret),
        payload={"note": text, "customer_note": True},
        service="WooCommerce",
    )
    return {"status": "note_added", "note_id": created.get("id")}


def complete_order(
    transport: Transport, *, site_url: str, consumer_key: str, consumer_secret: str, order: Order
) -> dict[str, Any]:
    updated = call_json(
        transport,
        "PUT",
        _base(site_url, order),
        headers=basic_auth(consumer_key, consumer_secret),
        payload={"status": "completed"},
        service="WooCommerce",
    )
    return {"status": str(updated.get("status"))}


REFUND_KEY = "_oms_refund_id"


def _refund_made(
    transport: Transport, site_url: str, headers: dict[str, str], order: Order, key: str
) -> dict[str, Any] | None:
    """A refund WooCommerce already has under our id (a push repeated after a crash or a timeout
    finds it instead of refunding twice)."""
    listing = call_json(
        transport, "GET", f"{_base(site_url, order)}/refunds", headers=headers, service="WooCommerce"
    )
    for made in listing or []:
        for meta in made.get("meta_data") or []:
            if meta.get("key") == REFUND_KEY and str(meta.get("value")) == key:
                return dict(made)
    return None


def create_refund(
    transport: Transport,
    *,
    site_url: str,
    consumer_key: str,
    consumer_secret: str,
    order: Order,
    refund: Refund,
) -> dict[str, Any]:
    """A refund through the order's payment gateway (``api_refund``), its lines (units that shipped
    or are cancelled by it) recorded on WooCommerce's order; restocking is ours, not WooCommerce's."""
    headers = basic_auth(consumer_key, consumer_secret)
    made = _refund_made(transport, site_url, headers, order, refund.refund_id)
    if made is None:
        lines = [
            {
                "id": line.line_id,
                "quantity": line.cancelled + line.shipped,
                "refund_total": str((line.amount - line.tax).amount),
            }
            for line in refund.lines
            if line.cancelled + line.shipped
        ]
        made = call_json(
            transport,
            "POST",
            f"{_base(site_url, order)}/refunds",
            headers=headers,
            payload={
                "amount": str(refund.total.amount),
                # Our id in the reason: how its order.updated is known as ours, not a refund made there.
                "reason": f"{refund.reason} [oms {refund.refund_id}]",
                "api_refund": True,
                "api_restock": False,
                "line_items": lines,
                "meta_data": [{"key": REFUND_KEY, "value": refund.refund_id}],
            },
            service="WooCommerce",
        )
    return {"status": "refunded", "channel_refund_id": str(made.get("id"))}


def cancel_order(
    transport: Transport, *, site_url: str, consumer_key: str, consumer_secret: str, order: Order
) -> dict[str, Any]:
    updated = call_json(
        transport,
        "PUT",
        _base(site_url, order),
        headers=basic_auth(consumer_key, consumer_secret),
        payload={"status": "cancelled"},
        service="WooCommerce",
    )
    return {"status": str(updated.get("status"))}


def cancel_units(
    transport: Transport,
    *,
    site_url: str,
    consumer_key: str,
    consumer_secret: str,
    order: Order,
    units: dict[str, int],
    cancellation_id: str,
    note: str,
) -> dict[str, Any]:
    """Units of lines taken off: WooCommerce records them as a refund of no money (its way to
    take items off a paid order), once under the cancellation's id."""
    headers = basic_auth(consumer_key, consumer_secret)
    made = _refund_made(transport, site_url, headers, order, cancellation_id)
    if made is None:
        made = call_json(
            transport,
            "POST",
            f"{_base(site_url, order)}/refunds",
            headers=headers,
            payload={
                "amount": "0.00",
                "reason": note,
                "api_refund": False,
                "api_restock": False,
                "line_items": [
                    {"id": k, "quantity": v, "refund_total": "0.00"} for k, v in sorted(units.items())
                ],
                "meta_data": [{"key": REFUND_KEY, "value": cancellation_id}],
            },
            service="WooCommerce",
        )
    return {"status": "cancelled", "channel_refund_id": str(made.get("id"))}
