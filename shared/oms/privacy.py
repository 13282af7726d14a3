"""Personal data: a customer's data handed over on request, and erased (redacted) on request, when a
store is erased, or when a store's retention period for completed orders has passed.

A customer's orders are those the request names and those with the customer's email. Redacting one
keeps what the books need (lines, SKUs, amounts, taxes, dates, statuses, country and province for
tax) and erases everything that names or reaches the person: name, email, phone, addresses (down
to their country and province), the customer's note and every note text, refund and edit notes,
the channel's customer id. The order remembers it was redacted (``redacted_at``): a later delivery
from the channel is redacted before it is applied, so the data never comes back. Shipments lose
their ship-to address the same way.

Requests come from Shopify's mandatory compliance webhooks (``customers/data_request``,
``customers/redact``, ``shop/redact``), from staff for any channel, and from the retention
schedule; each is recorded (``PRIVACY#<id>``) with counts and order ids only, never the person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from oms.domain_events import order_redacted_event
from oms.errors import BadRequest
from oms.identifiers import is_channel_order_id, order_id_for
from oms.models import Address, ChannelRefund, Customer, Model, Order, OrderSnapshot, Refund
from oms.order_changes import Actor, OrderChange
from oms.shipments import Shipment
from oms.timeutil import UtcDateTime

REDACTED = "[redacted]"
# Shopify's compliance topics (oms.webhooks routes them to the privacy queue).
DATA_REQUEST_TOPIC = "customers/data_request"
REDACT_TOPIC = "customers/redact"
SHOP_REDACT_TOPIC = "shop/redact"
MAX_ORDER_IDS = 500


class PrivacyKind(StrEnum):
    DATA_REQUEST = "data_request"  # the customer's orders, as a file for staff
    REDACT = "redact"  # the customer's personal data erased from their orders
    SHOP_REDACT = "shop_redact"  # every order of the store redacted, its secrets deleted
    RETENTION = "retention"  # the store's completed orders past its retention period redacted


class PrivacyStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CustomerRef(Model):
    """Who a request is about, as the channel or staff name them."""

    email: Annotated[str, StringConstraints(max_length=320, strip_whitespace=True)] | None = None
    phone: Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] | None = None
    channel_customer_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class PrivacyRequest(Model):
    """One request on its way through the privacy queue (a long one carries where it got to)."""

    request_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,120}$")]
    kind: PrivacyKind
    store_id: str
    customer: CustomerRef | None = None
    channel_order_ids: list[str] = Field(default_factory=list, max_length=MAX_ORDER_IDS)
    source: str  # shopify, staff, retention
    requested_by: str
    received_at: UtcDateTime
    channel_request_id: str | None = None  # Shopify's data_request.id
    cursor: str | None = None  # where the store's orders are read from next (shop redact, retention)
    done: list[str] = Field(default_factory=list)  # order ids handled in earlier parts


class PrivacyRecord(Model):
    """What a request did, for staff: counts and ids, never the person it was about."""

    request_id: str
    kind: PrivacyKind
    store_id: str
    status: PrivacyStatus
    source: str
    requested_by: str
    received_at: UtcDateTime
    channel_request_id: str | None = None
    finished_at: UtcDateTime | None = None
    orders: int = 0
    order_ids: list[str] = Field(default_factory=list)  # the first 100
    file_key: str | None = None  # a data request's file (S3)
    problem: str | None = None


def _address(address: Address | None) -> Address | None:
    if address is None:
        return None
    kept = Address(country_code=address.country_code, province_code=address.province_code)
    return kept if kept.country_code or kept.province_code else None


def _refund(refund: Refund) -> Refund:
    return refund.model_copy(update={"note": REDACTED if refund.note else None})


def _channel_refund(refund: ChannelRefund) -> ChannelRefund:
    return refund.model_copy(update={"note": REDACTED if refund.note else None})


def redact_snapshot(snapshot: OrderSnapshot) -> OrderSnapshot:
    """The channel's view of an order without the person in it."""
    return snapshot.model_copy(
        update={
            "customer": Customer(),
            "billing_address": _address(snapshot.billing_address),
            "shipping_address": _address(snapshot.shipping_address),
            "note": None,
            "channel_refunds": [_channel_refund(r) for r in snapshot.channel_refunds],
        }
    )


def redact_order(order: Order, request_id: str, actor: Actor) -> OrderChange | None:
    """The change that redacts the order (None: it is redacted already)."""
    if order.redacted_at is not None:
        return None
    redacted = redact_snapshot(order)
    changed = Order.model_validate(
        {
            **dict(order),
            **dict(redacted),
            "address_override": _address(order.address_override),
            "notes": [n.model_copy(update={"text": REDACTED}) for n in order.notes],
            "refunds": [_refund(r) for r in order.refunds],
            "edits": [e.model_copy(update={"note": REDACTED if e.note else None}) for e in order.edits],
            "redacted_at": actor.at,
            "updated_at": actor.at,
        }
    )
    event = order_redacted_event(changed, request_id, actor.name, actor.at)
    return OrderChange(order=changed, expected_version=order.version, events=[event])


def redact_shipment(shipment: Shipment) -> Shipment | None:
    """The shipment without its ship-to address (None: nothing personal is left on it)."""
    kept = _address(shipment.ship_to)
    if kept == shipment.ship_to:
        return None
    return shipment.model_copy(update={"ship_to": kept})


def _folded(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def belongs_to(order: Order, customer: CustomerRef) -> bool:
    """The order is the customer's: same email, or same phone, or the channel's same customer."""
    theirs = order.customer
    if customer.email and _folded(theirs.email) == _folded(customer.email):
        return True
    if customer.channel_customer_id and theirs.channel_customer_id == customer.channel_customer_id:
        return True
    return any(
        _same_phone(customer.phone, theirs_phone)
        for theirs_phone in (theirs.phone, (order.shipping_address or Address()).phone)
    )


def _same_phone(a: str | None, b: str | None) -> bool:
    """Two phone numbers alike in their digits, one perhaps with a country code the other lacks."""
    x, y = _digits(a), _digits(b)
    shorter = min(len(x), len(y))
    return shorter >= 7 and (x.endswith(y) or y.endswith(x))


def order_ids(store_id: str, channel_order_ids: list[str]) -> list[str]:
    return [order_id_for(store_id, c) for c in channel_order_ids if is_channel_order_id(c)]


def due_for_retention(order: Order, now: datetime, days: int) -> bool:
    """A completed order past the store's retention period, not redacted yet."""
    if days <= 0 or order.redacted_at is not None or order.status.value != "completed":
        return False
    return order.updated_at <= now - timedelta(days=days)


def shopify_request(
    topic: str, payload: Any, *, store_id: str, event_id: str, received_at: datetime
) -> PrivacyRequest:
    """A Shopify compliance webhook as a request (BadRequest for a body that is not one)."""
    if not isinstance(payload, dict):
        raise BadRequest("the compliance payload is not a JSON object", code="invalid_payload")
    kinds = {
        DATA_REQUEST_TOPIC: PrivacyKind.DATA_REQUEST,
        REDACT_TOPIC: PrivacyKind.REDACT,
        SHOP_REDACT_TOPIC: PrivacyKind.SHOP_REDACT,
    }
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else None
    listed = payload.get("orders_requested" if topic == DATA_REQUEST_TOPIC else "orders_to_redact") or []
    if not isinstance(listed, list):
        raise BadRequest("the compliance payload's orders are not a list", code="invalid_payload")
    data_request = payload.get("data_request") if isinstance(payload.get("data_request"), dict) else {}
    assert isinstance(data_request, dict)
    return PrivacyRequest(
        request_id=f"shopify-{event_id}"[:120].replace("/", "-"),
        kind=kinds[topic],
        store_id=store_id,
        customer=CustomerRef(
            email=customer.get("email") or None,
            phone=customer.get("phone") or None,
            channel_customer_id=str(customer["id"]) if customer.get("id") is not None else None,
        )
        if customer
        else None,
        channel_order_ids=[str(x) for x in listed[:MAX_ORDER_IDS] if isinstance(x, int | str) and str(x)],
        source="shopify",
        requested_by=f"shopify:{topic}",
        received_at=received_at,
        channel_request_id=str(data_request["id"]) if data_request.get("id") is not None else None,
    )


def data_document(request: PrivacyRequest, orders: list[Order], shipments: list[Shipment]) -> dict[str, Any]:
    """What is handed to the customer: every order of theirs we hold, with its shipments."""
    by_order: dict[str, list[dict[str, Any]]] = {}
    for shipment in shipments:
        by_order.setdefault(shipment.order_id, []).append(
            shipment.model_dump(
                mode="json",
                include={"shipment_id", "status", "ship_to", "label", "lines", "shipped_at", "delivered_at"},
            )
        )
    return {
        "request_id": request.request_id,
        "channel_request_id": request.channel_request_id,
        "store_id": request.store_id,
        "produced_for": request.requested_by,
        "orders": [
            {
                **order.model_dump(
                    mode="json",
                    include={
                        "order_id",
                        "number",
                        "channel",
                        "currency",
                        "customer",
                        "billing_address",
                        "shipping_address",
                        "lines",
                        "shipping_lines",
                        "totals",
                        "payment_status",
                        "status",
                        "note",
                        "placed_at",
                        "refunds",
                    },
                ),
                "notes_for_customer": [n.text for n in order.notes if n.visibility == "customer"],
                "shipments": by_order.get(order.order_id, []),
            }
            for order in orders
        ],
    }
