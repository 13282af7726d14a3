"""Webhook intake: verify, classify, hand over to the intake queue.

Shopify and WooCommerce sign the raw body (base64 HMAC-SHA256 with the store's secret).
BigCommerce signs nothing: its webhooks are registered with a header carrying the store's secret
(``X-OMS-Webhook-Secret``), compared in constant time, and its thin payload (the order's id, in
``data.id``, and the topic in ``scope``) is checked to come from the registered store
(``producer: stores/<hash>``); the intake reads the order itself from BigCommerce's API.

Pure stdlib on purpose (no pydantic): this is the webhook function's whole domain and it must
answer within Shopify's 5-second budget from a cold start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from oms.errors import BadRequest, NotFound, PayloadTooLarge, Unauthorized
from oms.identifiers import (
    BIGCOMMERCE,
    MANUAL,
    SHOPIFY,
    WEBHOOK_CHANNELS,
    WOOCOMMERCE,
    is_channel_order_id,
    is_store_id,
)
from oms.intake_message import IntakeMessage

CHANNELS = WEBHOOK_CHANNELS

ORDER_TOPICS: Mapping[str, frozenset[str]] = {
    SHOPIFY: frozenset(
        {
            "orders/create",
            "orders/updated",
            "orders/paid",
            "orders/cancelled",
            "orders/fulfilled",
            "orders/partially_fulfilled",
            "fulfillments/create",
            "fulfillments/update",
            "refunds/create",
        }
    ),
    WOOCOMMERCE: frozenset({"order.created", "order.updated", "order.deleted", "order.restored"}),
    BIGCOMMERCE: frozenset(
        {
            "store/order/created",
            "store/order/updated",
            "store/order/statusUpdated",
            "store/order/archived",
            "store/order/refund/created",
        }
    ),
    MANUAL: frozenset({"orders/create"}),
}
# Shopify's mandatory compliance webhooks (oms.privacy): to the privacy queue, not the intake.
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
# Topics whose body is not the order itself: where the order's id is in it.
ORDER_ID_FIELD: Mapping[str, str] = {
    "fulfillments/create": "order_id",
    "fulfillments/update": "order_id",
    "refunds/create": "order_id",
    **dict.fromkeys(ORDER_TOPICS[BIGCOMMERCE], "data.id"),
}
SIGNATURE_HEADER = {
    SHOPIFY: "x-shopify-hmac-sha256",
    WOOCOMMERCE: "x-wc-webhook-signature",
    BIGCOMMERCE: "x-oms-webhook-secret",  # not a signature: the secret itself, sent as registered
}
TOPIC_HEADER = {SHOPIFY: "x-shopify-topic", WOOCOMMERCE: "x-wc-webhook-topic"}

# SQS accepts up to 1 MiB; attributes take a little of it.
MAX_BODY_BYTES = 1_000_000
# Topics that normally announce an order we have not seen yet.
CREATE_TOPICS = frozenset({"orders/create", "order.created", "store/order/created"})
_PING = re.compile(rb"^webhook_id=\d+$")


@dataclass(frozen=True, slots=True)
class StoreCredentials:
    """What the webhook needs to know about a store: its signing secret and, optionally, where
    its deliveries must come from (Shopify shop domain or WooCommerce site URL)."""

    secret: str
    origin: str | None = None

    @classmethod
    def from_parameter(cls, raw: str) -> StoreCredentials:
        data = json.loads(raw)
        return cls(secret=data["secret"], origin=data.get("origin") or None)

    def to_parameter(self) -> str:
        return json.dumps({"secret": self.secret, "origin": self.origin})


class CredentialSource(Protocol):
    def credentials(self, channel: str, store_id: str, *, fresh: bool = False) -> StoreCredentials | None:
        """The store's credentials, or None when the store is not registered for this channel."""
        ...


class IntakeSink(Protocol):
    def enqueue(self, message: IntakeMessage) -> str:
        """Queue one message for the intake consumer; returns the queue's message id."""
        ...


class PrivacySink(Protocol):
    def enqueue(self, message: dict[str, Any]) -> str:
        """Queue a compliance delivery for the privacy function; returns the queue's message id."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    channel: str
    store_id: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    @classmethod
    def from_http_event(cls, event: Mapping[str, Any]) -> WebhookRequest:
        """The request inside an API Gateway HTTP API event (payload format 2.0), with the body's
        exact bytes (base64-decoded when API Gateway encoded it).

        Read here rather than through Powertools' data classes, whose package imports some forty
        event classes: a tenth of this function's whole cold-start budget.
        """
        params = event.get("pathParameters") or {}
        raw = event.get("body") or ""
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode("utf-8")
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        return cls(str(params.get("channel", "")), str(params.get("store_id", "")), headers, body)


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status: int
    body: dict[str, Any]


def sign(secret: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body: the signature both Shopify and WooCommerce send."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_matches(secret: str, body: bytes, signature: str) -> bool:
    try:
        given = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), given)


def secret_matches(secret: str, given: str) -> bool:
    """A secret sent as is (BigCommerce's registered header), compared in constant time."""
    try:
        return hmac.compare_digest(secret.encode("utf-8"), given.strip().encode("utf-8"))
    except UnicodeEncodeError:
        return False


def _verified(channel: str, secret: str, body: bytes, signature: str) -> bool:
    if channel == BIGCOMMERCE:
        return secret_matches(secret, signature)
    return signature_matches(secret, body, signature)


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the body is not valid JSON", code="invalid_payload") from exc
    if not isinstance(payload, dict):
        raise BadRequest("the body is not a JSON object", code="invalid_payload")
    return payload


def _order_id(body: bytes, field: str = "id") -> str:
    """The order's id at ``field`` (dotted for a nested one: BigCommerce's ``data.id``)."""
    order_id: Any = _json_object(body)
    for part in field.split("."):
        order_id = order_id.get(part) if isinstance(order_id, dict) else None
    if isinstance(order_id, bool) or not isinstance(order_id, int | str) or not str(order_id).strip():
        raise BadRequest("the payload has no order id", code="invalid_payload")
    text = str(order_id).strip()
    if not is_channel_order_id(text):
        raise BadRequest("the order id is malformed", code="invalid_payload")
    return text


def _event_id(request: WebhookRequest, topic: str) -> str:
    h = request.headers
    if request.channel == SHOPIFY:
        # X-Shopify-Event-Id is the same on every delivery of one event; Webhook-Id is per subscription.
        for name in ("x-shopify-event-id", "x-shopify-webhook-id"):
            if h.get(name):
                return h[name].strip()[:200]
    # WooCommerce sends a new delivery id on every attempt, so it cannot identify a duplicate: the
    # content is the identity. BigCommerce's ``hash`` is not unique across events (its documented
    # samples share one between topics): its whole body (scope, hash, created_at) is.
    return "sha256:" + hashlib.sha256(topic.encode() + b"\n" + request.body).hexdigest()


def _check_origin(request: WebhookRequest, credentials: StoreCredentials) -> None:
    if not credentials.origin:
        return
    if request.channel == BIGCOMMERCE:
        given = str(_json_object(request.body).get("producer") or "").strip().lower()
        expected = credentials.origin.strip().lower()
    elif request.channel == SHOPIFY:
        given = request.headers.get("x-shopify-shop-domain", "").strip().lower()
        expected = credentials.origin.strip().lower()
    else:
        given = request.headers.get("x-wc-webhook-source", "").strip().lower().rstrip("/")
        expected = credentials.origin.strip().lower().rstrip("/")
    if given != expected:
        raise Unauthorized("the delivery comes from another shop", code="origin_mismatch")


def _topic(request: WebhookRequest) -> str:
    if request.channel == BIGCOMMERCE:  # the scope is in the body (read after it was verified)
        scope = _json_object(request.body).get("scope")
        return scope.strip() if isinstance(scope, str) else ""
    return request.headers.get(TOPIC_HEADER[request.channel], "").strip()


def receive(
    request: WebhookRequest,
    credentials: CredentialSource,
    sink: IntakeSink,
    *,
    now: datetime,
    max_age_seconds: int,
    privacy: PrivacySink | None = None,
) -> WebhookResponse:
    """Verify one delivery and queue it; raises an :class:`OmsError` (4xx) for anything refused."""
    if request.channel not in CHANNELS:
        raise NotFound(f"unknown channel {request.channel!r}", code="unknown_channel")
    if not is_store_id(request.store_id):
        raise NotFound("unknown store", code="unknown_store")
    if len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    creds = credentials.credentials(request.channel, request.store_id)
    if creds is None:
        raise NotFound("unknown store", code="unknown_store")

    h = request.headers
    signature = h.get(SIGNATURE_HEADER[request.channel])
    if request.channel == WOOCOMMERCE and not signature and _PING.match(request.body.strip()):
        # WooCommerce pings a new webhook, unsigned, and only activates it on a 200.
        return WebhookResponse(200, {"status": "pong"})
    if not signature:
        raise Unauthorized("the signature header is missing", code="missing_signature")
    if not _verified(request.channel, creds.secret, request.body, signature):
        # The secret may have been rotated since we cached it: look once more before refusing.
        fresh = credentials.credentials(request.channel, request.store_id, fresh=True)
        if fresh is None or not _verified(request.channel, fresh.secret, request.body, signature):
            raise Unauthorized("the signature does not match", code="invalid_signature")
        creds = fresh
    _check_origin(request, creds)

    triggered_at = None
    if request.channel == SHOPIFY and h.get("x-shopify-triggered-at"):
        triggered = _parse_time(h["x-shopify-triggered-at"])
        if triggered is None:
            raise BadRequest("X-Shopify-Triggered-At is not a timestamp", code="invalid_header")
        if (now - triggered).total_seconds() > max_age_seconds:
            raise Unauthorized("the delivery is older than the replay window", code="stale_delivery")
        triggered_at = triggered.astimezone(UTC).isoformat().replace("+00:00", "Z")

    topic = _topic(request)
    if request.channel == SHOPIFY and topic in COMPLIANCE_TOPICS and privacy is not None:
        _json_object(request.body)  # a compliance body that is not JSON is refused here
        message_id = privacy.enqueue(
            {
                "compliance": {
                    "topic": topic,
                    "store_id": request.store_id,
                    "event_id": _event_id(request, topic),
                    "received_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "body": request.body.decode("utf-8", errors="replace"),
                }
            }
        )
        return WebhookResponse(202, {"status": "accepted", "message_id": message_id})
    message = order_message(
        request.channel,
        request.store_id,
        topic=topic,
        event_id=_event_id(request, topic),
        body=request.body,
        now=now,
        triggered_at=triggered_at,
    )
    if message is None:
        return WebhookResponse(200, {"status": "ignored", "topic": topic[:100]})
    message_id = sink.enqueue(message)
    return WebhookResponse(202, {"status": "accepted", "message_id": message_id})


def order_message(
    channel: str,
    store_id: str,
    *,
    topic: str,
    event_id: str,
    body: bytes,
    now: datetime,
    triggered_at: str | None,
) -> IntakeMessage | None:
    """The intake message for one delivery of an order topic (None: a topic that carries no order),
    however it arrived (a signed webhook, Shopify's EventBridge source); BadRequest for a body that
    is not an order."""
    if topic not in ORDER_TOPICS[channel]:
        return None
    channel_order_id = _order_id(body, ORDER_ID_FIELD.get(topic, "id"))
    try:
        body_text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not UTF-8", code="invalid_payload") from exc
    return IntakeMessage(
        channel=channel,
        store_id=store_id,
        topic=topic,
        event_id=event_id,
        channel_order_id=channel_order_id,
        body=body_text,
        received_at=now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        triggered_at=triggered_at,
    )
