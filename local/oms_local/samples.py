"""Signed webhook deliveries built from the real payloads in ../shared/fixtures, with the
headers and body encoding each channel really uses."""

from __future__ import annotations

import copy
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oms.webhooks import sign

ROOT = Path(__file__).resolve().parents[2]
# ../shared/fixtures beside the checkout; OMS_FIXTURES when the code runs from a copy (make mutation).
FIXTURES = Path(os.environ.get("OMS_FIXTURES") or ROOT.parent / "shared" / "fixtures").resolve()


def fixture(name: str) -> dict[str, Any]:
    """A payload from ../shared/fixtures, e.g. ``shopify/orders-create.json``."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@dataclass(frozen=True)
class Delivery:
    channel: str
    store_id: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return f"/webhooks/{self.channel}/{self.store_id}"

    def with_headers(self, **changes: str | None) -> Delivery:
        headers = dict(self.headers)
        for name, value in changes.items():
            key = name.replace("_", "-")
            if value is None:
                headers.pop(key, None)
            else:
                headers[key] = value
        return Delivery(self.channel, self.store_id, headers, self.body)


def shopify_body(payload: dict[str, Any]) -> bytes:
    """Shopify sends compact JSON, UTF-8, slashes unescaped."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def woocommerce_body(payload: dict[str, Any]) -> bytes:
    """WordPress's wp_json_encode: compact, non-ASCII as \\uXXXX, slashes escaped as \\/."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


def shopify_delivery(
    payload: dict[str, Any],
    *,
    store_id: str,
    secret: str,
    topic: str = "orders/create",
    shop_domain: str = "demo-shop.myshopify.com",
    event_id: str | None = None,
    triggered_at: datetime | None = None,
    api_version: str = "2024-04",
) -> Delivery:
    body = shopify_body(payload)
    headers = {
        "content-type": "application/json",
        "user-agent": "Shopify-Captain-Hook",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": sign(secret, body),
        "x-shopify-shop-domain": shop_domain,
        "x-shopify-api-version": api_version,
        "x-shopify-webhook-id": str(uuid.uuid4()),
        "x-shopify-event-id": event_id or str(uuid.uuid4()),
    }
    if triggered_at is not None:
        headers["x-shopify-triggered-at"] = triggered_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return Delivery("shopify", store_id, headers, body)


def woocommerce_delivery(
    payload: dict[str, Any],
    *,
    store_id: str,
    secret: str,
    topic: str = "order.created",
    site_url: str = "https://demo-woo.example.com",
    webhook_id: int = 42,
) -> Delivery:
    body = woocommerce_body(payload)
    resource, event = topic.split(".", 1)
    headers = {
        "content-type": "application/json",
        "user-agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
        "x-wc-webhook-source": site_url.rstrip("/") + "/",
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-resource": resource,
        "x-wc-webhook-event": event,
        "x-wc-webhook-signature": sign(secret, body),
        "x-wc-webhook-id": str(webhook_id),
        "x-wc-webhook-delivery-id": uuid.uuid4().hex,  # new on every attempt
    }
    return Delivery("woocommerce", store_id, headers, body)


def bigcommerce_delivery(
    payload: dict[str, Any], *, store_id: str, secret: str, store_hash: str | None = None
) -> Delivery:
    """A BigCommerce webhook callback: its JSON with the secret header the hook was registered
    with. ``store_hash`` fills the documented samples' ``producer: stores/{store_hash}``
    placeholder, as a real callback carries the store's own hash there."""
    data = copy.deepcopy(payload)
    if store_hash is not None:
        data["producer"] = str(data.get("producer", "")).replace("{store_hash}", store_hash)
    body = json.dumps(data, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json",
        "x-oms-webhook-secret": secret,
    }
    return Delivery("bigcommerce", store_id, headers, body)


def woocommerce_ping(store_id: str, webhook_id: int = 42) -> Delivery:
    """The unsigned form post WooCommerce sends when a webhook is created."""
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
    }
    return Delivery("woocommerce", store_id, headers, f"webhook_id={webhook_id}".encode())


def shopify_order(
    order_id: int,
    *,
    skus: dict[str, int] | None = None,
    financial_status: str = "paid",
    updated_at: str | None = None,
    base: str = "shopify/orders-create.json",
) -> dict[str, Any]:
    """A variant of a real Shopify fixture with its own id and, optionally, other lines."""
    payload = copy.deepcopy(fixture(base))
    payload["id"] = order_id
    payload["name"] = f"#{order_id}"
    payload["order_number"] = order_id
    payload["financial_status"] = financial_status
    if updated_at:
        payload["updated_at"] = updated_at
    if skus is not None:
        template = payload["line_items"][0]
        lines = []
        for i, (sku, qty) in enumerate(skus.items()):
            line = copy.deepcopy(template)
            line.update(
                id=order_id * 1000 + i, sku=sku, quantity=qty, name=f"Item {sku}", title=f"Item {sku}"
            )
            lines.append(line)
        payload["line_items"] = lines
    return payload


def woocommerce_order(
    order_id: int,
    *,
    status: str = "processing",
    skus: dict[str, int] | None = None,
    modified_gmt: str | None = None,
) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("woocommerce/order.json"))
    payload["id"] = order_id
    payload["number"] = str(order_id)
    payload["status"] = status
    if modified_gmt:
        payload["date_modified_gmt"] = modified_gmt
    if skus is not None:
        template = payload["line_items"][1]
        lines = []
        for i, (sku, qty) in enumerate(skus.items()):
            line = copy.deepcopy(template)
            line.update(
                id=order_id * 1000 + i,
                sku=sku,
                quantity=qty,
                name=f"Item {sku}",
                subtotal=f"{12 * qty}.00",
                total=f"{12 * qty}.00",
            )
            lines.append(line)
        payload["line_items"] = lines
    return payload
