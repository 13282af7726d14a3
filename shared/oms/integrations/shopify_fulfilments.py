"""Telling Shopify a shipment left: a fulfillment with its tracking (GraphQL Admin API).

Shopify fulfils *fulfillment orders*: read the order's (page by page, and each one's lines page by
page: an order may have hundreds), take the lines of the open ones that this shipment carries
(matched on Shopify's order line id, up to what remains to fulfil), and make one
``fulfillmentCreate`` per fulfillment order with the tracking number. A repeated push finds nothing
left to fulfil and changes nothing. Shopify does not tell the customer: the OMS sends its own
shipping email.
"""

from __future__ import annotations

from typing import Any

from oms.integrations.shopify_graphql import ChannelRefused, ShopifyAdmin, gid
from oms.models import Order
from oms.shipments import Shipment

FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!, $after: String) {
  order(id: $id) {
    fulfillmentOrders(first: 25, after: $after) {
      nodes {
        id
        status
        lineItems(first: 250) {
          nodes { id remainingQuantity lineItem { id } }
          pageInfo { hasNextPage endCursor }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

MORE_LINES = """
query FulfillmentOrderLines($id: ID!, $after: String) {
  fulfillmentOrder(id: $id) {
    lineItems(first: 250, after: $after) {
      nodes { id remainingQuantity lineItem { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""


def _numeric(channel_gid: str) -> str:
    return channel_gid.rsplit("/", 1)[-1]


def _lines(api: ShopifyAdmin, fulfillment_order: dict[str, Any]) -> list[dict[str, Any]]:
    connection = fulfillment_order.get("lineItems") or {}
    nodes = list(connection.get("nodes") or [])
    while (connection.get("pageInfo") or {}).get("hasNextPage"):
        data = api.query(
            MORE_LINES,
            {"id": fulfillment_order["id"], "after": connection["pageInfo"].get("endCursor")},
        )
        connection = (data.get("fulfillmentOrder") or {}).get("lineItems") or {}
        nodes += connection.get("nodes") or []
    return nodes


def fulfillment_orders(api: ShopifyAdmin, order: Order) -> list[dict[str, Any]]:
    """The order's fulfillment orders that can still be fulfilled, each with all its lines."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = api.query(FULFILLMENT_ORDERS, {"id": gid("Order", order.channel_order_id), "after": after})
        connection = (data.get("order") or {}).get("fulfillmentOrders") or {}
        for node in connection.get("nodes") or []:
            if node.get("status") in FULFILLABLE:
                found.append({"id": node["id"], "lines": _lines(api, node)})
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return found
        after = page.get("endCursor")


def push_fulfilment(api: ShopifyAdmin, *, order: Order, shipment: Shipment) -> dict[str, Any]:
    wanted: dict[str, int] = {}
    for line in shipment.lines:
        channel_id = order.channel_line(line.line_id)  # None: a line added here, not on Shopify
        if channel_id is not None:
            wanted[channel_id] = wanted.get(channel_id, 0) + line.quantity
    groups = []
    for fulfillment_order in fulfillment_orders(api, order):
        items = []
        for item in fulfillment_order["lines"]:
            line_id = _numeric(str((item.get("lineItem") or {}).get("id", "")))
            take = min(wanted.get(line_id, 0), int(item.get("remainingQuantity") or 0))
            if take > 0:
                items.append({"id": item["id"], "quantity": take})
                wanted[line_id] -= take
        if items:
            groups.append({"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": items})
    if not groups:
        return {"status": "already_fulfilled"}
    label = shipment.label
    made = []
    for group in groups:  # a fulfillment belongs to one fulfillment order's location
        fulfillment: dict[str, Any] = {"lineItemsByFulfillmentOrder": [group], "notifyCustomer": False}
        if label and label.tracking_number:
            fulfillment["trackingInfo"] = {
                "number": label.tracking_number,
                "url": label.tracking_url,
                "company": label.carrier,
            }
        created = api.query(CREATE, {"fulfillment": fulfillment})["fulfillmentCreate"]
        errors = created.get("userErrors") or []
        if errors:
            words = "; ".join(str(e.get("message") or "refused") for e in errors)
            raise ChannelRefused(f"Shopify refused the fulfillment: {words}"[:300])
        made.append((created.get("fulfillment") or {}).get("id"))
    return {"status": "created", "fulfillment_ids": made}
