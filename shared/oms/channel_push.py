"""Telling the store a shipment left, a note staff wrote for the customer, a refund or a
cancellation made here: the steps to push to its channel, each safe to retry.

Shopify: one fulfillment with the tracking number (oms.integrations.shopify_fulfilments), every call
through its GraphQL Admin API (oms.integrations.shopify_graphql.ShopifyAdmin). WooCommerce: a note
to the customer with the tracking number, then, once every line has shipped, status
``completed`` (oms.integrations.woocommerce_rest). Each step runs at most once per shipment (the
function keys them), so a retry after a half-done push repeats only what did not happen.
A failure never touches the order: the message is retried from the queue, then kept in its DLQ.
Refunds and cancellations carry our id to the channel (oms.integrations.shopify_graphql,
oms.integrations.woocommerce_rest), so a step repeated after a crash is made once. BigCommerce: a
shipment with the tracking number on its order, refunds through its payment actions, cancellation
as the order's status (oms.integrations.bigcommerce_api), each checked on the channel first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from oms.integrations import shopify_fulfilments, shopify_graphql, shopify_order_edits, woocommerce_rest
from oms.integrations.bigcommerce_api import BigCommerceApi
from oms.integrations.bigcommerce_inventory import BigCommerceInventory
from oms.integrations.http_transport import HttpError, Transport
from oms.integrations.shopify_inventory import ShopifyInventory
from oms.integrations.shopify_order_reads import ShopifyOrderReads
from oms.integrations.woocommerce_order_reads import WooCommerceOrderReads
from oms.integrations.woocommerce_stock import WooCommerceStock
from oms.models import Channel, EditPush, NoteVisibility, Order, RefundStatus, Store
from oms.order_lifecycle import OrderStatus
from oms.order_notes import find_note
from oms.refunds import find_refund
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
        api = shopify_api(store, credentials, transport)
        if isinstance(api, str):
            return PushPlan([], api)
        step = PushStep(
            "shopify-fulfillment",
            partial(shopify_fulfilments.push_fulfilment, api, order=order, shipment=shipment),
        )
        return PushPlan([step])
    if store.channel == Channel.BIGCOMMERCE:
        bigcommerce = bigcommerce_api(store, credentials, transport)
        if isinstance(bigcommerce, str):
            return PushPlan([], bigcommerce)
        return PushPlan(
            [
                PushStep(
                    "bigcommerce-shipment", partial(bigcommerce.push_shipment, order=order, shipment=shipment)
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


def shopify_api(
    store: Store, credentials: dict[str, Any] | None, transport: Transport
) -> shopify_graphql.ShopifyAdmin | str:
    """The store's Shopify GraphQL Admin API at its version, or why it has none."""
    token = (credentials or {}).get("access_token")
    if not token or not store.shop_domain:
        return "no Shopify admin API token or shop domain for this store"
    return shopify_graphql.ShopifyAdmin(
        transport,
        shop_domain=str(store.shop_domain),
        access_token=str(token),
        api_version=store.settings.shopify_api_version or shopify_graphql.API_VERSION,
    )


def bigcommerce_api(
    store: Store, credentials: dict[str, Any] | None, transport: Transport
) -> BigCommerceApi | str:
    """The store's BigCommerce API (its store hash, its API account's token), or why it has none."""
    token = (credentials or {}).get("access_token")
    if not token or not store.store_hash:
        return "no BigCommerce API token or store hash for this store"
    return BigCommerceApi(transport, store_hash=str(store.store_hash), access_token=str(token))


def order_document(
    store: Store, credentials: dict[str, Any] | None, transport: Transport, channel_order_id: str
) -> dict[str, Any] | None:
    """An order in full from a channel whose webhooks carry only its id (BigCommerce); a store that
    cannot be read is an error (the delivery is retried, then kept in the intake DLQ)."""
    api = bigcommerce_api(store, credentials, transport)
    if isinstance(api, str):
        raise HttpError(api)
    return api.order_document(channel_order_id)


def inventory_channel(
    store: Store, credentials: dict[str, Any] | None, transport: Transport
) -> ShopifyInventory | WooCommerceStock | BigCommerceInventory | str:
    """The store's stock on its channel (oms.inventory_sync), or why it has none."""
    keys = _channel_keys(store, credentials, transport)
    if isinstance(keys, str):
        return keys
    if isinstance(keys, shopify_graphql.ShopifyAdmin):
        return ShopifyInventory(keys, store.store_id, store.settings.shopify_location_id)
    if isinstance(keys, BigCommerceApi):
        return BigCommerceInventory(keys, store.store_id, store.settings.bigcommerce_location_id)
    site, key, secret = keys
    return WooCommerceStock(
        transport, store_id=store.store_id, site_url=site, consumer_key=key, consumer_secret=secret
    )


def order_reads(
    store: Store, credentials: dict[str, Any] | None, transport: Transport
) -> ShopifyOrderReads | WooCommerceOrderReads | BigCommerceApi | str:
    """The store's orders on its channel, read for reconciliation (oms.missed_orders), or why not."""
    keys = _channel_keys(store, credentials, transport)
    if isinstance(keys, str):
        return keys
    if isinstance(keys, shopify_graphql.ShopifyAdmin):
        return ShopifyOrderReads(keys)
    if isinstance(keys, BigCommerceApi):
        return keys
    site, key, secret = keys
    return WooCommerceOrderReads(transport, site_url=site, consumer_key=key, consumer_secret=secret)


def _channel_keys(
    store: Store, credentials: dict[str, Any] | None, transport: Transport
) -> shopify_graphql.ShopifyAdmin | BigCommerceApi | tuple[str, str, str] | str:
    """The store's API as the channel's calls take it (Shopify's and BigCommerce's APIs,
    WooCommerce's site and REST keys), or why there is none."""
    creds = credentials or {}
    if store.channel == Channel.SHOPIFY:
        return shopify_api(store, creds, transport)
    if store.channel == Channel.BIGCOMMERCE:
        return bigcommerce_api(store, creds, transport)
    if store.channel == Channel.WOOCOMMERCE:
        if not creds.get("consumer_key") or not creds.get("consumer_secret") or not store.site_url:
            return "no WooCommerce REST API keys or site URL for this store"
        return (str(store.site_url), str(creds["consumer_key"]), str(creds["consumer_secret"]))
    return f"{store.channel.value} orders are not pushed anywhere"


def plan_refund_push(
    store: Store | None,
    order: Order | None,
    refund_id: str,
    credentials: dict[str, Any] | None,
    transport: Transport,
) -> PushPlan:
    """A pending refund, made on the channel where the payment lives."""
    if store is None or order is None:
        return PushPlan([], "the store or the order no longer exists")
    refund = find_refund(order, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return PushPlan([], "no pending refund to send")
    keys = _channel_keys(store, credentials, transport)
    if isinstance(keys, str):
        return PushPlan([], keys)
    if isinstance(keys, shopify_graphql.ShopifyAdmin):
        step = PushStep(
            "shopify-refund", partial(shopify_graphql.create_refund, keys, order=order, refund=refund)
        )
        return PushPlan([step])
    if isinstance(keys, BigCommerceApi):
        return PushPlan(
            [PushStep("bigcommerce-refund", partial(keys.create_refund, order=order, refund=refund))]
        )
    site, key, secret = keys
    return PushPlan(
        [
            PushStep(
                "woocommerce-refund",
                lambda: woocommerce_rest.create_refund(
                    transport,
                    site_url=site,
                    consumer_key=key,
                    consumer_secret=secret,
                    order=order,
                    refund=refund,
                ),
            )
        ]
    )


def plan_edit_push(
    store: Store | None,
    order: Order | None,
    edit_id: str,
    credentials: dict[str, Any] | None,
    transport: Transport,
) -> PushPlan:
    """A staff edit waiting to be made on Shopify: its lines as an order edit, then the address."""
    if store is None or order is None:
        return PushPlan([], "the store or the order no longer exists")
    edit = order.edit(edit_id)
    if edit is None or edit.push != EditPush.PENDING:
        return PushPlan([], "no edit waiting to be pushed")
    if store.channel != Channel.SHOPIFY:
        return PushPlan([], f"{store.channel.value} has no order editing we can use")
    keys = _channel_keys(store, credentials, transport)
    if not isinstance(keys, shopify_graphql.ShopifyAdmin):
        return PushPlan([], keys if isinstance(keys, str) else "not a Shopify store")
    steps = []
    if edit.added or edit.changed:
        steps.append(
            PushStep(
                "shopify-order-edit",
                partial(shopify_order_edits.push_edit, keys, order=order, edit=edit),
            )
        )
    if edit.address_changed:
        steps.append(
            PushStep(
                "shopify-address",
                partial(shopify_order_edits.push_address, keys, order=order),
            )
        )
    return PushPlan(steps)


def _on_channel(order: Order, detail: dict[str, Any]) -> dict[str, int]:
    """A cancellation's units the channel has, under its line ids (a line staff added here and
    never pushed is ours alone)."""
    units: dict[str, int] = {}
    for line in detail.get("lines", []):
        channel_id = order.channel_line(str(line["line_id"]))
        if channel_id is not None:
            units[channel_id] = units.get(channel_id, 0) + int(line["quantity"])
    return units


def plan_cancel_push(
    store: Store | None,
    order: Order | None,
    detail: dict[str, Any],
    credentials: dict[str, Any] | None,
    transport: Transport,
) -> PushPlan:
    """Units staff cancelled (OrderLinesCancelled): the whole order cancelled on the channel, or
    those units taken off it."""
    if store is None or order is None:
        return PushPlan([], "the store or the order no longer exists")
    keys = _channel_keys(store, credentials, transport)
    if isinstance(keys, str):
        return PushPlan([], keys)
    units = _on_channel(order, detail)
    if not units:
        return PushPlan([], "only lines added in the OMS, which the channel does not have")
    cancellation_id, reason = str(detail["cancellation_id"]), str(detail.get("reason", "other"))
    note = f"Cancelled in the OMS ({reason}) [oms {cancellation_id}]"
    whole = bool(detail.get("whole"))
    if isinstance(keys, BigCommerceApi):
        if not whole:  # BigCommerce has no cancelling part of an order: its lines stay as they are
            return PushPlan([], "BigCommerce cancels whole orders only; the units stay on its order")
        return PushPlan([PushStep("bigcommerce-cancel", partial(keys.cancel_order, order))])
    if isinstance(keys, shopify_graphql.ShopifyAdmin):
        if whole:
            step = PushStep(
                "shopify-cancel",
                partial(shopify_graphql.cancel_order, keys, order=order, reason=reason, note=note),
            )
            return PushPlan([step])
        step = PushStep(
            "shopify-cancel-units",
            partial(
                shopify_graphql.cancel_units,
                keys,
                order=order,
                units=units,
                cancellation_id=cancellation_id,
                note=note,
            ),
        )
        return PushPlan([step])
    site, key, secret = keys
    if whole:
        step = PushStep(
            "woocommerce-cancel",
            partial(
                woocommerce_rest.cancel_order,
                transport,
                site_url=site,
                consumer_key=key,
                consumer_secret=secret,
                order=order,
            ),
        )
        return PushPlan([step])
    step = PushStep(
        "woocommerce-cancel-units",
        partial(
            woocommerce_rest.cancel_units,
            transport,
            site_url=site,
            consumer_key=key,
            consumer_secret=secret,
            order=order,
            units=units,
            cancellation_id=cancellation_id,
            note=note,
        ),
    )
    return PushPlan([step])
