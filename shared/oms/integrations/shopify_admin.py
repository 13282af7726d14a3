"""Telling Shopify a shipment left: a fulfillment with its tracking (REST Admin API 2024-04).

Shopify fulfils *fulfillment orders*: list the order's, take the open ones' lines that this shipment
carries (matched on the order line id, up to what is still fulfillable), and create one fulfillment
for them with the tracking number. A repeated push finds nothing left to fulfil and changes nothing.
Customers are not notified by Shopify: the OMS sends its own shipping email.
"""

from __future__ import annotations

from typing import Any

from oms.integrations.http_transport import Transport, call_json
from oms.models import Order
from oms.shipments import Shipment

API_VERSION = "2024-04"


def push_fulfilment(
    transport: Transport, *, shop_domain: str, access_token: str, order: Order, shipment: Shipment
) -> dict[str, Any]:
    base = f"https://{shop_domain}/admin/api/{API_VERSION}"
    headers = {"x-shopify-access-token": access_token}
    listing = call_json(
        transport,
        "GET",
        f"{base}/orders/{order.channel_order_id}/fulfillment_orders.json",
        headers=headers,
        service="Shopify",
    )
    wanted: dict[str, int] = {}
    for line in shipment.lines:
        channel_id = order.channel_line(line.line_id)  # None: a line added here, not on Shopify
        if channel_id is not None:
            wanted[channel_id] = wanted.get(channel_id, 0) + line.quantity
    groups = []
    for fulfillment_order in listing.get("fulfillment_orders", []):
        if fulfillment_order.get("status") not in ("open", "in_progress", "scheduled"):
            continue
        items = []
        for item in fulfillment_order.get("line_items", []):
            line_id = str(item.get("line_item_id"))
            take = min(wanted.get(line_id, 0), int(item.get("fulfillable_quantity", item.get("quantity", 0))))
            if take > 0:
                items.append({"id": item["id"], "quantity": take})
                wanted[line_id] -= take
        if items:
            groups.append(
                {"fulfillment_order_id": fulfillment_order["id"], "fulfillment_order_line_items": items}
            )
    if not groups:
        return {"status": "already_fulfilled"}
    label = shipment.label
    payload: dict[str, Any] = {
        "fulfillment": {"line_items_by_fulfillment_order": groups, "notify_customer": False}
    }
    if label and label.tracking_number:
        payload["fulfillment"]["tracking_info"] = {
            "number": label.tracking_number,
            "url": label.tracking_url,
            "company": label.carrier,
        }
    created = call_json(
        transport, "POST", f"{base}/fulfillments.json", headers=headers, payload=payload, service="Shopify"
    )
    return {"status": "created", "fulfillment_id": (created.get("fulfillment") or {}).get("id")}
