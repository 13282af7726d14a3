"""Shopify's GraphQL Admin API: every call the OMS makes to Shopify goes through ``ShopifyAdmin``
(the REST Admin API is legacy). The version is pinned here (``API_VERSION``) and a store may name
another (``StoreSettings.shopify_api_version``). A mutation's ``userErrors`` are a refusal in
Shopify's words (``ChannelRefused``, not retried).

Throttling: Shopify meters each shop in a bucket of cost points that refills at a steady rate and
tells us, in every answer's ``extensions.cost``, what the call cost and what is left. A call the
bucket cannot pay for is answered ``THROTTLED``: a retryable error that says how long the bucket
needs to refill (so the queue waits that long, not blindly). When the bucket is running low the
next call waits for the refill itself when that is short (``PACE_SECONDS``), so a burst of calls
slows down instead of being refused.

Refunds and cancellations:

- A refund: the order's ``suggestedRefund`` for the same lines and shipping gives the payment
  transactions to refund against and the most that may be refunded (our amount is checked against
  it), then ``refundCreate`` with our refund id as its ``@idempotent`` key: a repeated call, after a
  crash or a timeout, returns the refund Shopify made the first time instead of a second one.
- Cancelling the whole order: ``orderCancel`` (restocking Shopify's inventory, refunding nothing:
  money goes through our refund, once). Cancelling units of lines: ``refundCreate`` of those units
  with ``restockType: CANCEL`` and no transaction, keyed by the cancellation's id.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from oms.integrations.http_transport import HttpError, Transport, call_json
from oms.models import Order, Refund

API_VERSION = "2026-10"  # the one pinned GraphQL Admin API version; a store may name another
PACE_SECONDS = 2.0  # the longest the next call waits for the bucket to refill before it is sent


class ChannelRefused(Exception):
    """The channel answered and said no (its user errors): retrying will not change its mind."""


def gid(kind: str, channel_id: str) -> str:
    return f"gid://shopify/{kind}/{channel_id}"


def refill_seconds(cost: dict[str, Any], need: float | None = None) -> int:
    """Seconds until the shop's bucket holds ``need`` points (default: what the call asked for),
    from an answer's ``extensions.cost``; at least 1, as a queue delay takes whole seconds."""
    status = cost.get("throttleStatus") or {}
    wanted = float(need if need is not None else cost.get("requestedQueryCost") or 0)
    available = float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 0) or 50.0  # Shopify's standard rate, if unsaid
    return max(1, math.ceil((wanted - available) / rate))


@dataclass
class ShopifyAdmin:
    """One shop's GraphQL Admin API, with its token and version, pacing its own calls."""

    transport: Transport
    shop_domain: str
    access_token: str
    api_version: str = API_VERSION
    sleep: Callable[[float], None] = time.sleep
    _wait: float = field(default=0.0, init=False)

    @property
    def url(self) -> str:
        return f"https://{self.shop_domain}/admin/api/{self.api_version}/graphql.json"

    def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self._wait:
            self.sleep(self._wait)
            self._wait = 0.0
        answer = call_json(
            self.transport,
            "POST",
            self.url,
            headers={"x-shopify-access-token": self.access_token},
            payload={"query": query, "variables": variables},
            service="Shopify",
        )
        cost = (answer.get("extensions") or {}).get("cost") or {}
        errors = answer.get("errors") or []
        if errors:
            codes = sorted({str((e.get("extensions") or {}).get("code", "ERROR")) for e in errors})
            if "THROTTLED" in codes:
                raise HttpError(
                    "Shopify answered THROTTLED",
                    status=429,
                    retryable=True,
                    retry_after=refill_seconds(cost) if cost else None,
                )
            raise HttpError(f"Shopify answered GraphQL errors ({', '.join(codes)[:60]})", status=400)
        self._pace(cost)
        data: dict[str, Any] = answer.get("data") or {}
        return data

    def _pace(self, cost: dict[str, Any]) -> None:
        """Running low (less left than this call cost): the next call waits for the refill, if short."""
        left = (cost.get("throttleStatus") or {}).get("currentlyAvailable")
        spent = cost.get("actualQueryCost") or cost.get("requestedQueryCost")
        if left is None or spent is None or float(left) >= float(spent):
            return
        wait = float(refill_seconds(cost, need=float(spent)))
        if wait <= PACE_SECONDS:
            self._wait = wait


def _user_errors(payload: dict[str, Any], key: str = "userErrors") -> None:
    errors = payload.get(key) or []
    if errors:
        words = "; ".join(str(e.get("code") or e.get("message") or "refused") for e in errors)
        raise ChannelRefused(f"Shopify refused it: {words}"[:300])


SUGGESTED = """
query SuggestedRefund($id: ID!, $lines: [RefundLineItemInput!], $shipping: Money) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $lines, shippingAmount: $shipping) {
      maximumRefundableSet { shopMoney { amount currencyCode } }
      suggestedTransactions {
        gateway
        parentTransaction { id }
        maximumRefundableSet { shopMoney { amount } }
      }
    }
  }
}
"""

REFUND = """
mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""

CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    restock: true
    notifyCustomer: false
    refundMethod: { originalPaymentMethodsRefund: false }
    staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""


def refund_line_items(refund: Refund, order: Order) -> list[dict[str, Any]]:
    """The refund's units Shopify still counts on the order: those it cancels now (CANCEL) and
    those that shipped (RETURN when restocked, else NO_RESTOCK), under Shopify's line ids. Units
    cancelled before were taken off by their own cancellation; a line added in the OMS and never
    pushed is not on Shopify's order (only its money is refunded)."""
    items: list[dict[str, Any]] = []
    for refunded in refund.lines:
        channel_id = order.channel_line(refunded.line_id)
        if channel_id is None:
            continue
        line = refunded.model_copy(update={"line_id": channel_id})
        if line.cancelled:
            items.append(
                {
                    "lineItemId": gid("LineItem", line.line_id),
                    "quantity": line.cancelled,
                    "restockType": "CANCEL",
                }
            )
        if line.restocked:
            items.append(
                {
                    "lineItemId": gid("LineItem", line.line_id),
                    "quantity": line.restocked,
                    "restockType": "RETURN",
                }
            )
        if line.shipped - line.restocked:
            items.append(
                {
                    "lineItemId": gid("LineItem", line.line_id),
                    "quantity": line.shipped - line.restocked,
                    "restockType": "NO_RESTOCK",
                }
            )
    return items


def create_refund(api: ShopifyAdmin, *, order: Order, refund: Refund) -> dict[str, Any]:
    order_gid = gid("Order", order.channel_order_id)
    items = refund_line_items(refund, order)
    suggested_for = [{"lineItemId": i["lineItemId"], "quantity": i["quantity"]} for i in items]
    data = api.query(
        SUGGESTED, {"id": order_gid, "lines": suggested_for, "shipping": str(refund.shipping.amount)}
    )
    suggested = ((data.get("order") or {}).get("suggestedRefund")) or {}
    most = Decimal(
        str(((suggested.get("maximumRefundableSet") or {}).get("shopMoney") or {}).get("amount", "0"))
    )
    if refund.total.amount > most:
        raise ChannelRefused(f"Shopify allows at most {most} {refund.total.currency} to be refunded")
    transactions, left = [], refund.total.amount
    for suggestion in suggested.get("suggestedTransactions") or []:
        room = Decimal(
            str(((suggestion.get("maximumRefundableSet") or {}).get("shopMoney") or {}).get("amount", "0"))
        )
        take = min(left, room)
        if take > 0:
            transactions.append(
                {
                    "orderId": order_gid,
                    "gateway": suggestion.get("gateway"),
                    "kind": "REFUND",
                    "amount": str(take),
                    "parentId": (suggestion.get("parentTransaction") or {}).get("id"),
                }
            )
            left -= take
    if left > 0:
        raise ChannelRefused("Shopify has no payment left to refund this against")
    refund_input: dict[str, Any] = {
        "orderId": order_gid,
        "note": f"{refund.reason} [oms {refund.refund_id}]",
        "notify": False,  # the OMS tells the customer itself
        "refundLineItems": items,
        "transactions": transactions,
    }
    if refund.shipping.amount > 0:
        refund_input["shipping"] = {"amount": str(refund.shipping.amount)}
    created = api.query(REFUND, {"input": refund_input, "key": refund.refund_id})["refundCreate"]
    _user_errors(created)
    return {"status": "refunded", "channel_refund_id": (created.get("refund") or {}).get("id")}


def cancel_order(api: ShopifyAdmin, *, order: Order, reason: str, note: str) -> dict[str, Any]:
    """The whole order; Shopify cancels it in a job. An order Shopify has cancelled already is
    what we wanted (a repeated push)."""
    data = api.query(
        CANCEL,
        {"orderId": gid("Order", order.channel_order_id), "reason": reason.upper(), "staffNote": note},
    )["orderCancel"]
    errors = data.get("orderCancelUserErrors") or []
    if any(e.get("code") == "ORDER_ALREADY_CANCELLED" for e in errors):
        return {"status": "already_cancelled"}
    _user_errors(data, "orderCancelUserErrors")
    return {"status": "cancelling", "job_id": (data.get("job") or {}).get("id")}


def cancel_units(
    api: ShopifyAdmin,
    *,
    order: Order,
    units: dict[str, int],
    cancellation_id: str,
    note: str,
) -> dict[str, Any]:
    refund_input = {
        "orderId": gid("Order", order.channel_order_id),
        "note": note,
        "notify": False,
        "refundLineItems": [
            {"lineItemId": gid("LineItem", line_id), "quantity": n, "restockType": "CANCEL"}
            for line_id, n in sorted(units.items())
        ],
        "transactions": [],
    }
    created = api.query(REFUND, {"input": refund_input, "key": cancellation_id})["refundCreate"]
    _user_errors(created)
    return {"status": "cancelled", "channel_refund_id": (created.get("refund") or {}).get("id")}
