"""Channel adapters: each turns its channel's order payload into our :class:`OrderSnapshot`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.errors import BadRequest
from oms.models import Channel, OrderSnapshot


@dataclass(frozen=True, slots=True)
class OrderDeleted:
    """The channel removed the order (WooCommerce order.deleted carries only its id)."""

    channel: Channel
    store_id: str
    channel_order_id: str
    at: datetime


IncomingOrder = OrderSnapshot | OrderDeleted


def normalise(
    channel: str, topic: str, payload: Any, *, store_id: str, received_at: datetime
) -> IncomingOrder:
    if not isinstance(payload, dict):
        raise BadRequest("the order payload is not a JSON object", code="invalid_payload")
    if channel == Channel.SHOPIFY:
        from oms.channels import shopify_orders

        return shopify_orders.normalise(payload, topic=topic, store_id=store_id)
    if channel == Channel.WOOCOMMERCE:
        from oms.channels import woocommerce_orders

        return woocommerce_orders.normalise(payload, topic=topic, store_id=store_id, received_at=received_at)
    if channel == Channel.MANUAL:
        from oms.channels import manual_orders

        return manual_orders.normalise(payload, store_id=store_id)
    raise BadRequest(f"unknown channel {channel!r}", code="unknown_channel")
