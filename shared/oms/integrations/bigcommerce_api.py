"""BigCommerce's REST API for the calls the OMS makes about orders: reading one order in full (the
webhooks carry only its id), listing the orders changed in a window (reconciliation), telling the
store a shipment left, and cancelling.

Every call goes to ``https://api.bigcommerce.com/stores/<store hash>/`` with the store's API
account token in ``X-Auth-Token``. Orders are the V2 API: ``GET /v2/orders/{id}`` (its products
and shipping addresses are sub-resources, read with it), ``GET /v2/orders?min_date_modified=…``
(250 a page; an empty page is ``204 No Content``), ``POST /v2/orders/{id}/shipments``,
``PUT /v2/orders/{id}`` with ``status_id``. Refunds are V3: ``GET /v3/orders/{id}/payment_actions/
refunds``. A 429 names its wait in ``X-Rate-Limit-Time-Reset-Ms`` (oms.integrations.http_transport).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from oms.channels.payload_fields import rfc2822_time
from oms.integrations.http_transport import HttpError, Transport, call_json
from oms.missed_orders import ChannelOrderVersion
from oms.models import Order, Refund
from oms.shipments import Shipment

API_HOST = "https://api.bigcommerce.com"
PAGE = 250  # the V2 API's largest page
CANCELLED = 5  # status_id of a cancelled order
UPDATED_TOPIC = "store/order/updated"


class BigCommerceApi:
    def __init__(self, transport: Transport, *, store_hash: str, access_token: str) -> None:
        self.transport, self.store_hash = transport, store_hash
        self.base = f"{API_HOST}/stores/{store_hash}"
        self.headers = {"x-auth-token": access_token}

    def call(self, method: str, path: str, payload: Any = None) -> Any:
        return call_json(
            self.transport,
            method,
            f"{self.base}{path}",
            headers=self.headers,
            payload=payload,
            service="BigCommerce",
        )

    def _get_or_none(self, path: str) -> Any:
        try:
            return self.call("GET", path)
        except HttpError as error:
            if error.status == 404:
                return None
            raise

    # ------------------------------------------------------------------ orders
    def order_document(self, channel_order_id: str) -> dict[str, Any] | None:
        """The order with what its webhooks leave out: ``{"order", "products", "shipping_addresses",
        "refunds"}`` (refunds read only when the order says money went back). None: no such order."""
        order_id = int(channel_order_id)
        order = self._get_or_none(f"/v2/orders/{order_id}")
        if not isinstance(order, dict):
            return None
        products: list[Any] = []
        page = 1
        while True:
            chunk = self.call("GET", f"/v2/orders/{order_id}/products?limit={PAGE}&page={page}") or []
            products += chunk
            if len(chunk) < PAGE:
                break
            page += 1
        addresses = self.call("GET", f"/v2/orders/{order_id}/shipping_addresses") or []
        refunds: list[Any] = []
        if Decimal(str(order.get("refunded_amount") or "0")) > 0:
            answer = self.call("GET", f"/v3/orders/{order_id}/payment_actions/refunds") or {}
            refunds = list(answer.get("data") or [])
        return {"order": order, "products": products, "shipping_addresses": addresses, "refunds": refunds}

    # ------------------------------------------------------------------ reconciliation
    def changed(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[ChannelOrderVersion], str | None]:
        """Orders modified in the window, oldest change first, a numbered page at a time."""
        page = int(cursor or 1)
        query = urlencode(
            {
                "min_date_modified": format_datetime(since.astimezone(UTC)),
                "max_date_modified": format_datetime(until.astimezone(UTC)),
                "sort": "date_modified:asc",
                "limit": PAGE,
                "page": page,
            }
        )
        found = self.call("GET", f"/v2/orders?{query}") or []
        listed = []
        for order in found:
            when = rfc2822_time(order.get("date_modified")) if isinstance(order, dict) else None
            if when is not None and order.get("id") is not None:
                listed.append(ChannelOrderVersion(channel_order_id=str(order["id"]), updated_at=when))
        return listed, (str(page + 1) if len(found) >= PAGE else None)

    def fetch(self, channel_order_id: str) -> dict[str, Any] | None:
        """What reconciliation puts on the intake queue: the webhook BigCommerce would have sent
        (the intake reads the order itself, as for every BigCommerce delivery)."""
        return {
            "scope": UPDATED_TOPIC,
            "data": {"type": "order", "id": int(channel_order_id)},
            "producer": f"stores/{self.store_hash}",
        }

    # ------------------------------------------------------------------ pushes
    def push_shipment(self, *, order: Order, shipment: Shipment) -> dict[str, Any]:
        """A shipment with its tracking number on the order, once: a shipment carrying our
        tracking number (or, without one, our comment) is not made again after a crash."""
        order_id = int(order.channel_order_id)
        label = shipment.label
        tracking = label.tracking_number if label and label.tracking_number else None
        comment = f"OMS shipment {shipment.shipment_id}"
        for made in self.call("GET", f"/v2/orders/{order_id}/shipments?limit={PAGE}") or []:
            if isinstance(made, dict) and (
                (tracking and made.get("tracking_number") == tracking) or made.get("comments") == comment
            ):
                return {"status": "already_shipped", "shipment_id": made.get("id")}
        addresses = self.call("GET", f"/v2/orders/{order_id}/shipping_addresses") or []
        if not addresses:
            return {"status": "skipped", "reason": "the order has no shipping address on BigCommerce"}
        body: dict[str, Any] = {
            "order_address_id": addresses[0]["id"],
            "items": [
                {"order_product_id": int(line.line_id), "quantity": line.quantity}
                for line in shipment.lines
                if line.line_id.isdigit()
            ],
            "comments": comment,
        }
        if tracking:
            body["tracking_number"] = tracking
            if label and label.tracking_url:
                body["tracking_link"] = label.tracking_url
            body["tracking_carrier"] = ""
        created = self.call("POST", f"/v2/orders/{order_id}/shipments", body) or {}
        return {"status": "shipment_created", "shipment_id": created.get("id")}

    def create_refund(self, *, order: Order, refund: Refund) -> dict[str, Any]:
        """Our refund's money given back through the order's payment, once: BigCommerce quotes the
        ways it can pay an order-level amount back (``refund_quotes``) and the first one that goes
        through a payment provider online is used. Our id rides in the refund's reason, so a refund
        made before a crash is found instead of made again, and its webhook is known as ours."""
        order_id = int(order.channel_order_id)
        marker = f"[oms {refund.refund_id}]"
        made = self.call("GET", f"/v3/orders/{order_id}/payment_actions/refunds") or {}
        for existing in made.get("data") or []:
            if marker in str(existing.get("reason") or ""):
                return {"status": "refunded", "channel_refund_id": str(existing.get("id"))}
        amount = float(refund.total.amount)  # BigCommerce's Amount is a JSON number
        items = [{"item_type": "ORDER", "item_id": order_id, "amount": amount, "reason": refund.reason[:200]}]
        quote = (
            self.call("POST", f"/v3/orders/{order_id}/payment_actions/refund_quotes", {"items": items}) or {}
        )
        methods = [
            m for m in (quote.get("data") or {}).get("refund_methods") or [] if isinstance(m, list) and m
        ]
        online = [m for m in methods if not any(p.get("offline") for p in m if isinstance(p, dict))]
        if not (online or methods):
            raise HttpError("BigCommerce offered no way to pay this refund back", status=422)
        payments = [
            {"provider_id": p["provider_id"], "amount": p["amount"], "offline": bool(p.get("offline"))}
            for p in (online or methods)[0]
        ]
        created = self.call(
            "POST",
            f"/v3/orders/{order_id}/payment_actions/refunds",
            {"items": items, "payments": payments, "reason": f"{refund.reason} {marker}"[:255]},
        )
        return {"status": "refunded", "channel_refund_id": str(((created or {}).get("data") or {}).get("id"))}

    def cancel_order(self, order: Order) -> dict[str, Any]:
        """The order's status set to Cancelled (setting it again changes nothing)."""
        updated = self.call("PUT", f"/v2/orders/{int(order.channel_order_id)}", {"status_id": CANCELLED})
        return {"status": "cancelled", "channel_status": (updated or {}).get("status")}
