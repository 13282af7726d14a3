"""Reading Shopify's orders for reconciliation (oms.missed_orders), through the GraphQL Admin API.

``changed`` lists the orders updated in a window (``orders(query: "updated_at:>=… AND
updated_at:<=…", sortKey: UPDATED_AT)``), 250 a page with only their id and ``updatedAt``: about
250 cost points a page, so a busy hour of a busy shop is a few calls. ``fetch`` reads one order in
full, its line items 100 a page (an order of hundreds of lines is a few calls; every nested list is
bounded so no call asks for more than Shopify's 1,000-point limit), and shapes it as the
``orders/updated`` webhook carries it (the REST resource), so it enters the intake exactly as a
webhook would: one normaliser, one set of rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.integrations.shopify_graphql import ShopifyAdmin, gid
from oms.missed_orders import ChannelOrderVersion

PAGE = 250
LINES_PAGE = 100

CHANGED = """
query ChangedOrders($query: String!, $after: String) {
  orders(first: 250, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes { legacyResourceId updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

_MONEY = "shopMoney { amount }"
_ADDRESS = (
    "name firstName lastName company address1 address2 city province provinceCode zip countryCodeV2 phone"
)

ORDER = f"""
query OrderForIntake($id: ID!, $after: String) {{
  order(id: $id) {{
    legacyResourceId name email phone currencyCode createdAt processedAt updatedAt
    cancelledAt cancelReason displayFinancialStatus displayFulfillmentStatus
    note tags sourceName taxesIncluded
    customer {{ legacyResourceId email phone firstName lastName }}
    billingAddress {{ {_ADDRESS} }}
    shippingAddress {{ {_ADDRESS} }}
    subtotalPriceSet {{ {_MONEY} }}
    totalDiscountsSet {{ {_MONEY} }}
    totalTaxSet {{ {_MONEY} }}
    totalShippingPriceSet {{ {_MONEY} }}
    totalPriceSet {{ {_MONEY} }}
    totalOutstandingSet {{ {_MONEY} }}
    shippingLines(first: 5) {{
      nodes {{ title code carrierIdentifier source originalPriceSet {{ {_MONEY} }} }}
    }}
    fulfillments(first: 10) {{
      id status createdAt
      trackingInfo(first: 1) {{ company number url }}
      fulfillmentLineItems(first: 25) {{ nodes {{ lineItem {{ id }} quantity }} }}
    }}
    refunds(first: 10) {{
      id note
      refundLineItems(first: 25) {{ nodes {{ lineItem {{ id }} quantity restockType }} }}
      transactions(first: 5) {{ nodes {{ kind status amountSet {{ {_MONEY} }} }} }}
    }}
    lineItems(first: 100, after: $after) {{
      nodes {{
        id sku name title quantity currentQuantity unfulfilledQuantity requiresShipping isGiftCard
        originalUnitPriceSet {{ {_MONEY} }}
        taxLines {{ priceSet {{ {_MONEY} }} }}
        discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
        product {{ legacyResourceId productType }}
        variant {{ legacyResourceId inventoryItem {{ tracked measurement {{ weight {{ unit value }} }} }} }}
      }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""


def _search_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def window_query(since: datetime, until: datetime) -> str:
    return f"updated_at:>='{_search_time(since)}' AND updated_at:<='{_search_time(until)}'"


class ShopifyOrderReads:
    def __init__(self, api: ShopifyAdmin) -> None:
        self.api = api

    def changed(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[ChannelOrderVersion], str | None]:
        data = self.api.query(CHANGED, {"query": window_query(since, until), "after": cursor})
        orders = data["orders"]
        listed = [
            ChannelOrderVersion(channel_order_id=str(n["legacyResourceId"]), updated_at=n["updatedAt"])
            for n in orders["nodes"]
        ]
        page = orders.get("pageInfo") or {}
        return listed, (str(page["endCursor"]) if page.get("hasNextPage") else None)

    def fetch(self, channel_order_id: str) -> dict[str, Any] | None:
        """The order as its ``orders/updated`` webhook would carry it, or None if Shopify no longer
        has it (deleted since it was listed)."""
        lines: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            data = self.api.query(ORDER, {"id": gid("Order", channel_order_id), "after": after})
            order = data.get("order")
            if not order:
                return None
            lines += order["lineItems"]["nodes"]
            page = order["lineItems"].get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return rest_order(order, lines)
            after = str(page["endCursor"])


def _legacy(value: Any) -> str | None:
    """A numeric id from a GraphQL gid (``gid://shopify/LineItem/466157049``) or a legacy id."""
    if value is None:
        return None
    return str(value).rsplit("/", 1)[-1]


def _amount(price_set: Any) -> str | None:
    if not isinstance(price_set, dict):
        return None
    shop = price_set.get("shopMoney") or {}
    return None if shop.get("amount") is None else str(shop["amount"])


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def _address(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    return {
        "name": data.get("name"),
        "first_name": data.get("firstName"),
        "last_name": data.get("lastName"),
        "company": data.get("company"),
        "address1": data.get("address1"),
        "address2": data.get("address2"),
        "city": data.get("city"),
        "province": data.get("province"),
        "province_code": data.get("provinceCode"),
        "zip": data.get("zip"),
        "country_code": data.get("countryCodeV2"),
        "phone": data.get("phone"),
    }


def _line(data: dict[str, Any]) -> dict[str, Any]:
    current_quantity = data.get("currentQuantity")
    current = int(data["quantity"] if current_quantity is None else current_quantity)
    unfulfilled = data.get("unfulfilledQuantity")
    status = None
    if unfulfilled is not None and current:
        status = "fulfilled" if int(unfulfilled) == 0 else ("partial" if int(unfulfilled) < current else None)
    product, variant = data.get("product") or {}, data.get("variant") or {}
    item = (variant.get("inventoryItem") or {}) if variant else {}
    tracked = item.get("tracked")
    weight = (item.get("measurement") or {}).get("weight") or {}
    return {
        "id": _legacy(data["id"]),
        "sku": data.get("sku"),
        "name": data.get("name"),
        "title": data.get("title"),
        "quantity": data["quantity"],
        "current_quantity": current,
        "fulfillable_quantity": unfulfilled,
        "fulfillment_status": status,
        "price": _amount(data.get("originalUnitPriceSet")),
        "tax_lines": [{"price": _amount(t.get("priceSet"))} for t in data.get("taxLines") or []],
        "discount_allocations": [
            {"amount": _amount(a.get("allocatedAmountSet"))} for a in data.get("discountAllocations") or []
        ],
        "requires_shipping": data.get("requiresShipping", True),
        "grams": _grams(weight),
        "gift_card": bool(data.get("isGiftCard")),
        "product_id": _legacy(product.get("legacyResourceId")),
        "product_type": product.get("productType"),
        "variant_id": _legacy(variant.get("legacyResourceId")),
        # The webhook's variant_inventory_management: a handle when something tracks the stock.
        **({"variant_inventory_management": "shopify" if tracked else None} if variant else {}),
    }


_GRAMS_PER = {"GRAMS": 1.0, "KILOGRAMS": 1000.0, "OUNCES": 28.349523125, "POUNDS": 453.59237}


def _grams(weight: dict[str, Any]) -> int | None:
    """The variant's weight (``InventoryItem.measurement.weight``) in grams, as the webhook's line."""
    unit, value = weight.get("unit"), weight.get("value")
    if value is None or unit not in _GRAMS_PER:
        return None
    return round(float(value) * _GRAMS_PER[str(unit)])


def _fulfilment(data: dict[str, Any]) -> dict[str, Any]:
    tracking = (data.get("trackingInfo") or [{}])[0] if data.get("trackingInfo") else {}
    return {
        "id": _legacy(data["id"]),
        "status": _lower(data.get("status")),
        "created_at": data.get("createdAt"),
        "tracking_company": tracking.get("company"),
        "tracking_number": tracking.get("number"),
        "tracking_url": tracking.get("url"),
        "line_items": [
            {"id": _legacy(item["lineItem"]["id"]), "quantity": item.get("quantity")}
            for item in (data.get("fulfillmentLineItems") or {}).get("nodes") or []
            if isinstance(item.get("lineItem"), dict)
        ],
    }


def _refund(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _legacy(data["id"]),
        "note": data.get("note"),
        "refund_line_items": [
            {
                "line_item_id": _legacy(item["lineItem"]["id"]),
                "quantity": item.get("quantity"),
                "restock_type": _lower(item.get("restockType")),
            }
            for item in (data.get("refundLineItems") or {}).get("nodes") or []
            if isinstance(item.get("lineItem"), dict)
        ],
        "transactions": [
            {
                "kind": _lower(t.get("kind")),
                "status": _lower(t.get("status")),
                "amount": _amount(t.get("amountSet")),
            }
            for t in (data.get("transactions") or {}).get("nodes") or []
        ],
    }


_FULFILMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}


def rest_order(order: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A GraphQL ``Order`` as the REST resource the webhooks carry (the fields the intake reads)."""
    customer = order.get("customer")
    shipping_total = _amount(order.get("totalShippingPriceSet"))
    return {
        "id": int(str(order["legacyResourceId"])),
        "name": order.get("name"),
        "email": order.get("email"),
        "phone": order.get("phone"),
        "currency": order["currencyCode"],
        "created_at": order.get("createdAt"),
        "processed_at": order.get("processedAt"),
        "updated_at": order.get("updatedAt"),
        "cancelled_at": order.get("cancelledAt"),
        "cancel_reason": _lower(order.get("cancelReason")),
        "financial_status": _lower(order.get("displayFinancialStatus")),
        "fulfillment_status": _FULFILMENT_STATUS.get(str(order.get("displayFulfillmentStatus"))),
        "note": order.get("note"),
        "tags": ", ".join(order.get("tags") or []),
        "source_name": order.get("sourceName"),
        "taxes_included": bool(order.get("taxesIncluded")),
        "customer": (
            {
                "id": _legacy(customer.get("legacyResourceId")),
                "email": customer.get("email"),
                "phone": customer.get("phone"),
                "first_name": customer.get("firstName"),
                "last_name": customer.get("lastName"),
            }
            if isinstance(customer, dict)
            else None
        ),
        "billing_address": _address(order.get("billingAddress")),
        "shipping_address": _address(order.get("shippingAddress")),
        "subtotal_price": _amount(order.get("subtotalPriceSet")),
        "total_discounts": _amount(order.get("totalDiscountsSet")),
        "total_tax": _amount(order.get("totalTaxSet")),
        "total_price": _amount(order.get("totalPriceSet")),
        "total_outstanding": _amount(order.get("totalOutstandingSet")),
        "total_shipping_price_set": {"shop_money": {"amount": shipping_total}} if shipping_total else None,
        "shipping_lines": [
            {
                "title": s.get("title"),
                "code": s.get("code"),
                "carrier_identifier": s.get("carrierIdentifier"),
                "source": s.get("source"),
                "price": _amount(s.get("originalPriceSet")),
            }
            for s in (order.get("shippingLines") or {}).get("nodes") or []
        ],
        "line_items": [_line(line) for line in lines],
        "fulfillments": [_fulfilment(f) for f in order.get("fulfillments") or []],
        "refunds": [_refund(r) for r in order.get("refunds") or []],
    }
