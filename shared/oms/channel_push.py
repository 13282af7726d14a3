"""Telling the store a shipment left, or a note staff wrote for the customer: the steps to push to
its channel, each safe to retry.

Shopify: one fulfillment with the tracking number (oms.integrations.shopify_admin). WooCommerce: a note
to the customer with the tracking number, then, once every line has shipped, status
``completed`` (oms.integrations.woocommerce_rest). Each step runs at most once per shipment (the
function keys them), so a retry after a half-done push repeats only what did not happen.
A failure never touches the order: the message is retried from the queue, then kept in its DLQ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oms.integrations import shopify_admin, woocommerce_rest
from oms.integrations.http_transport import Transport
from oms.models import Channel, NoteVisibility, Order, Store
from oms.order_lifecycle import OrderStatus
from oms.order_notes import find_note
from oms.shipments import Shipment

FULLY_SHIPPED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


@dataclass(frozen=True)
class PushStep:
    name: str  # unique per shipment: the idempotency key is "<shipment id>:<name>"
    run: Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class PushPlan:
    steps: list[PushStep]
    skipped: str | None = None  # why nothing is pushed


def plan_push(
    store: Store | None,
    order: Order | None,
    shipment: Shipment,
    credentials: dict[str, Any] | None,
    transport: Transport,
) -> PushPlan:
    if store is None or order is None:
        return PushPlan([], "the store or the order no longer exists")
    if shipment.source == "channel":
        return PushPlan([], "the channel fulfilled it itself")
    if not store.settings.push_fulfilment_to_channel:
        return PushPlan([], "the store does not want fulfilments pushed")
    if store.channel == Channel.SHOPIFY:
        token = (credentials or {}).get("access_token")
        if not token or not store.shop_domain:
            return PushPlan([], "no Shopify admin API token or shop domain for this store")
        return PushPlan(
            [
                PushStep(
                    "shopify-fulfillment",
                    lambda: shopify_admin.push_fulfilment(
                        transport,
                        shop_domain=str(store.shop_domain),
                        access_token=token,
                        order=order,
                        shipment=shipment,
                    ),
                )
            ]
        )
    if store.channel == Channel.WOOCOMMERCE:
        key, secret = (credentials or {}).get("consumer_key"), (credentials or {}).get("consumer_secret")
        if not key or not secret or not store.site_url:
            return PushPlan([], "no WooCommerce REST API keys or site URL for this store")
        site = str(store.site_url)
        steps = [
            PushStep(
                "woocommerce-note",
                lambda: woocommerce_rest.add_note(
                    transport,
                    site_url=site,
                    consumer_key=key,
                    consumer_secret=secret,
                    order=order,
                    shipment=shipment,
                ),
            )
        ]
        if order.status in FULLY_SHIPPED:
            steps.append(
                PushStep(
                    "woocommerce-complete",
                    lambda: woocommerce_rest.complete_order(
                        transport, site_url=site, consumer_key=key, consumer_secret=secret, order=order
                    ),
                )
            )
        return PushPlan(steps)
    return PushPlan([], f"{store.channel.value} orders are not pushed anywhere")


def plan_note_push(
    store: Store | None,
    order: Order | None,
    note_id: str,
    credentials: dict[str, Any] | None,
    transport: Transport,
) -> PushPlan:
    """A customer note written in the OMS, given to WooCommerce as a customer note (Shopify's admin
    API has no notes to the customer: there the OMS's own email is the only one)."""
    if store is None or order is None:
        return PushPlan([], "the store or the order no longer exists")
    note = find_note(order, note_id)
    if note is None or note.visibility != NoteVisibility.CUSTOMER:
        return PushPlan([], "not a note for the customer")
    if store.channel != Channel.WOOCOMMERCE:
        return PushPlan([], f"{store.channel.value} has no customer notes to push to")
    key, secret = (credentials or {}).get("consumer_key"), (credentials or {}).get("consumer_secret")
    if not key or not secret or not store.site_url:
        return PushPlan([], "no WooCommerce REST API keys or site URL for this store")
    site, text = str(store.site_url), note.text
    return PushPlan(
        [
            PushStep(
                "woocommerce-customer-note",
                lambda: woocommerce_rest.add_customer_note(
                    transport, site_url=site, consumer_key=key, consumer_secret=secret, order=order, text=text
                ),
            )
        ]
    )
