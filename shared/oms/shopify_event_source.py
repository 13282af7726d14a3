"""Shopify's webhooks delivered through Amazon EventBridge (a partner event source), read into the
same intake message a signed webhook becomes.

AWS delivers these: there is no HMAC to check, the event is Shopify's own on a bus only Shopify's
partner source writes to. The event's ``detail`` holds the webhook's body (``payload``) and its
headers (``metadata``: ``X-Shopify-Topic``, ``X-Shopify-Shop-Domain``, ``X-Shopify-Event-Id``,
``X-Shopify-Triggered-At``, ...). The shop domain says which registered store it is; the event id
is the same one a webhook of that event carries, so an order delivered both ways, or twice, is
taken once (the intake queue and the intake dedupe on it).

Standard library only, like the webhook path it joins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oms.errors import BadRequest
from oms.identifiers import SHOPIFY
from oms.intake_message import IntakeMessage
from oms.webhooks import MAX_BODY_BYTES, order_message

DETAIL_TYPE = "shopifyWebhook"


@dataclass(frozen=True, slots=True)
class ShopifyEvent:
    shop_domain: str
    topic: str
    event_id: str
    body: bytes
    triggered_at: str | None


def read_event(event: Mapping[str, Any]) -> ShopifyEvent:
    """The delivery inside an EventBridge event from Shopify; BadRequest when it is not one."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise BadRequest("the event has no detail", code="invalid_payload")
    raw_metadata = detail.get("metadata")
    payload = detail.get("payload")
    if not isinstance(raw_metadata, Mapping) or not isinstance(payload, Mapping):
        raise BadRequest("the event carries no Shopify payload and metadata", code="invalid_payload")
    metadata = {str(k).lower(): str(v).strip() for k, v in raw_metadata.items() if v is not None}
    shop = metadata.get("x-shopify-shop-domain", "").lower()
    topic = metadata.get("x-shopify-topic", "")
    # The event id is the same on every delivery of one Shopify event; EventBridge's own id is
    # per event too, a fallback for an event source that leaves the header out.
    event_id = (metadata.get("x-shopify-event-id") or str(event.get("id") or "")).strip()[:200]
    if not shop or not topic or not event_id:
        raise BadRequest("the event names no shop, topic or event id", code="invalid_payload")
    body = json.dumps(payload, separators=(",", ":")).encode()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the payload is larger than {MAX_BODY_BYTES} bytes", code="invalid_payload")
    return ShopifyEvent(shop, topic, event_id, body, _triggered_at(metadata.get("x-shopify-triggered-at")))


def _triggered_at(value: str | None) -> str | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def intake_message(event: ShopifyEvent, store_id: str, now: datetime) -> IntakeMessage | None:
    """The intake message for the store's event (None: a topic that carries no order)."""
    return order_message(
        SHOPIFY,
        store_id,
        topic=event.topic,
        event_id=event.event_id,
        body=event.body,
        now=now,
        triggered_at=event.triggered_at,
    )
