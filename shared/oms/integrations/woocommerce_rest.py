"""Telling WooCommerce about an order (REST API v3): a note to the customer when a shipment leaves
(with its tracking number) or when staff write one for the customer, and, once every line has
shipped, the order's status set to ``completed``."""

from __future__ import annotations

import base64
from typing import Any

from oms.integrations.http_transport import Transport, call_json
from oms.models import Order
from oms.shipments import Shipment


def _base(site_url: str, order: Order) -> str:
    return f"{site_url.rstrip('/')}/wp-json/wc/v3/orders/{order.channel_order_id}"


def _auth(consumer_key: str, consumer_secret: str) -> dict[str, str]:
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
        headers=_auth(consumer_key, consumer_secret),
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
        headers=_auth(consumer_key, consumer_secret),
        payload={"status": "completed"},
        service="WooCommerce",
    )
    return {"status": str(updated.get("status"))}
