"""Shopify's GraphQL Admin API, for refunds and cancellations (the API for new work; the REST Admin
API is legacy). One pinned version; throttling (``THROTTLED``, 429) is a retryable error, a
mutation's ``userErrors`` a refusal in Shopify's words.

- A refund: the order's ``suggestedRefund`` for the same lines and shipping gives the payment
  transactions to refund against and the most that may be refunded (our amount is checked against
  it), then ``refundCreate`` with our refund id as its ``@idempotent`` key: a repeated call, after a
  crash or a timeout, returns the refund Shopify made the first time instead of a second one.
- Cancelling the whole order: ``orderCancel`` (restocking Shopify's inventory, refunding nothing:
  money goes through our refund, once). Cancelling units of lines: ``refundCreate`` of those units
  with ``restockType: CANCEL`` and no transaction, keyed by the cancellation's id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oms.integrations.http_transport import HttpError, Transport, call_json
from oms.models import Order, Refund

API_VERSION = "2026-10"


class ChannelRefused(Exception):
    """The channel answered and said no (its user errors): retrying will not change its mind."""


def gid(kind: str, channel_id: str) -> str:
    return f"gid://shopify/{kind}/{channel_id}"


def graphql(
    transport: Transport, *, shop_domain: str, access_token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    answer = call_json(
        transport,
        "POST",
        f"https://{shop_domain}/admin/api/{API_VERSION}/graphql.json",
        headers={"x-shopify-access-token": access_token},
        payload={"query": query, "variables": variables},
        service="Shopify",
    )
    errors = answer.get("errors") or []
    if errors:
        codes = sorted({str((e.get("extensions") or {}).get("code", "ERROR")) for e in errors})
        if "THROTTLED" in codes:
            raise HttpError("Shopify answered THROTTLED", status=429, retryable=True)
        raise HttpError(f"Shopify answered GraphQL errors ({', '.join(codes)[:60]})", status=400)
    data: dict[str, Any] = answer.get("data") or {}
    return data


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


def create_refund(
    transport: Transport, *, shop_domain: str, access_token: str, order: Order, refund: Refund
) -> dict[str, Any]:
    order_gid = gid("Order", order.channel_order_id)
    items = refund_line_items(refund, order)
    suggested_for = [{"lineItemId": i["lineItemId"], "quantity": i["quantity"]} for i in items]
    data = graphql(
        transport,
        shop_domain=shop_domain,
        access_token=access_token,
        query=SUGGESTED,
        variables={"id": order_gid, "lines": suggested_for, "shipping": str(refund.shipping.amount)},
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
    created = graphql(
        transport,
        shop_domain=shop_domain,
        access_token=access_token,
        query=REFUND,
        variables={"input": refund_input, "key": refund.refund_id},
    )["refundCreate"]
    _user_errors(created)
    return {"status": "refunded", "channel_refund_id": (created.get("refund") or {}).get("id")}


def cancel_order(
    transport: Transport, *, shop_domain: str, access_token: str, order: Order, reason: str, note: str
) -> dict[str, Any]:
    """The whole order; Shopify cancels it in a job. An order Shopify has cancelled already is
    what we wanted (a repeated push)."""
    data = graphql(
        transport,
        shop_domain=shop_domain,
        access_token=access_token,
        query=CANCEL,
        variables={
            "orderId": gid("Order", order.channel_order_id),
            "reason": reason.upper(),
            "staffNote": note,
        },
    )["orderCancel"]
    errors = data.get("orderCancelUserErrors") or []
    if any(e.get("code") == "ORDER_ALREADY_CANCELLED" for e in errors):
        return {"status": "already_cancelled"}
    _user_errors(data, "orderCancelUserErrors")
    return {"status": "cancelling", "job_id": (data.get("job") or {}).get("id")}


def cancel_units(
    transport: Transport,
    *,
    shop_domain: str,
    access_token: str,
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
    created = graphql(
        transport,
        shop_domain=shop_domain,
        access_token=access_token,
        query=REFUND,
        variables={"input": refund_input, "key": cancellation_id},
    )["refundCreate"]
    _user_errors(created)
    return {"status": "cancelled", "channel_refund_id": (created.get("refund") or {}).get("id")}
