"""What a delivery on the intake queue says about an order, in our words: a snapshot of it
(every channel's order payload), or that it was deleted, that the channel fulfilled part of it
(a Shopify fulfillment webhook), or that we should decide it again (our own retry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.errors import BadRequest
from oms.identifiers import is_channel_order_id, order_id_for
from oms.intake_message import RETRY_TOPIC
from oms.models import Channel, ChannelFulfilment, ChannelRefund, OrderSnapshot

SHOPIFY_FULFILMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
SHOPIFY_REFUND_TOPIC = "refunds/create"


@dataclass(frozen=True, slots=True)
class OrderDeleted:
    """The channel removed the order (WooCommerce order.deleted carries only its id)."""

    channel: Channel
    store_id: str
    channel_order_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FulfilmentReported:
    """The channel reports one fulfilment of an order (Shopify fulfillments/create and /update)."""

    channel: Channel
    store_id: str
    channel_order_id: str
    fulfilment: ChannelFulfilment
    at: datetime


@dataclass(frozen=True, slots=True)
class RefundReported:
    """The channel reports one refund of an order (Shopify refunds/create)."""

    channel: Channel
    store_id: str
    channel_order_id: str
    refund: ChannelRefund
    at: datetime


@dataclass(frozen=True, slots=True)
class RetryOrder:
    """Decide the stored order again (its variants were mapped, its stock counted in)."""

    channel: Channel
    store_id: str
    channel_order_id: str
    at: datetime


IncomingOrder = OrderSnapshot | OrderDeleted | FulfilmentReported | RefundReported | RetryOrder


def order_id_of(incoming: IncomingOrder) -> str:
    if isinstance(incoming, OrderSnapshot):
        return incoming.derive_order_id()
    return order_id_for(incoming.store_id, incoming.channel_order_id)


def normalise(
    channel: str,
    topic: str,
    payload: Any,
    *,
    store_id: str,
    received_at: datetime,
    channel_order_id: str | None = None,
) -> IncomingOrder:
    """``payload``: the delivery's body; for BigCommerce, whose deliveries carry only the order's id
    (``channel_order_id``), the order as its API showed it (None: it has no such order now)."""
    if channel == Channel.BIGCOMMERCE and topic != RETRY_TOPIC:
        from oms.channels import bigcommerce_orders

        if payload is not None and not isinstance(payload, dict):
            raise BadRequest("the order payload is not a JSON object", code="invalid_payload")
        return bigcommerce_orders.normalise(
            payload, channel_order_id=channel_order_id or "", store_id=store_id, received_at=received_at
        )
    if not isinstance(payload, dict):
        raise BadRequest("the order payload is not a JSON object", code="invalid_payload")
    if topic == RETRY_TOPIC:
        channel_order_id = str(payload.get("channel_order_id") or "")
        if not is_channel_order_id(channel_order_id) or channel not in tuple(Channel):
            raise BadRequest("a retry names the order's channel id", code="invalid_payload")
        return RetryOrder(Channel(channel), store_id, channel_order_id, received_at)
    if channel == Channel.SHOPIFY:
        from oms.channels import shopify_orders

        if topic in SHOPIFY_FULFILMENT_TOPICS:
            return shopify_orders.fulfilment_reported(payload, store_id=store_id, received_at=received_at)
        if topic == SHOPIFY_REFUND_TOPIC:
            return shopify_orders.refund_reported(payload, store_id=store_id, received_at=received_at)
        return shopify_orders.normalise(payload, topic=topic, store_id=store_id)
    if channel == Channel.WOOCOMMERCE:
        from oms.channels import woocommerce_orders

        return woocommerce_orders.normalise(payload, topic=topic, store_id=store_id, received_at=received_at)
    if channel == Channel.MANUAL:
        from oms.channels import manual_orders

        return manual_orders.normalise(payload, store_id=store_id)
    raise BadRequest(f"unknown channel {channel!r}", code="unknown_channel")
