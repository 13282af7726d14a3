"""Inventory sync rules: what each store is told of a SKU's stock, and when a push is due.

A store that syncs (``StoreSettings.inventory_sync``, its API connected, the SKU not on its
``no_sync_skus`` list) is told the SKU's available stock less its ``stock_buffer``, never below 0.
Shopify takes one number at one location (our total) or, with ``shopify_locations``, one number
per mapped Shopify location: what that location can ship, after the orders reserved but not yet
allocated to a location are taken from the mapped locations in the store's location order.

Each SKU's stock carries a version that grows with every change (``stock_version``). A store's
listing of the SKU remembers the version last pushed: a push of an older or equal version is
never made, so a late message cannot overwrite a newer level. The level pushed is always the one
read when pushing (the newest), so a burst of changes becomes one push carrying the last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from pydantic import Field

from oms.models import Channel, Model, StockLevel, Store
from oms.timeutil import UtcDateTime

AGGREGATE = "*"  # the quantities' key when the store takes one number (our total)
RECHECK_ABSENT = timedelta(hours=24)  # a SKU a store did not sell is looked up again after this
SYNC_CHANNELS = frozenset({Channel.SHOPIFY, Channel.WOOCOMMERCE, Channel.BIGCOMMERCE})


class ChannelListing(Model):
    """A SKU as one store sells it: the channel's ids for it (learned by looking the SKU up on the
    channel, or from the catalogue pull), and what was last pushed there."""

    store_id: str
    sku: str
    found: bool  # False: the store does not sell this SKU (looked up at ``checked_at``)
    checked_at: UtcDateTime
    name: str | None = None
    # Shopify: the variant and its inventory item (numeric ids). WooCommerce: the product, or the
    # variation (``product_id``) of its parent product (``parent_id``).
    variant_id: str | None = None
    inventory_item_id: str | None = None
    product_id: str | None = None
    parent_id: str | None = None
    pushed_version: int | None = None
    pushed_quantities: dict[str, int] = Field(default_factory=dict)
    pushed_at: UtcDateTime | None = None
    problem: str | None = None  # why the last push was refused, in the channel's words
    # A catalogue sync that asked for every level to be pushed again (its run id): part of the
    # channel's idempotency key, so the same version and quantity is set again, not answered from
    # the first push's key.
    repush_run: str | None = None


@dataclass(frozen=True)
class StockPush:
    """One SKU's quantities for one store, at the stock version they were read at."""

    listing: ChannelListing
    version: int
    quantities: dict[str, int]  # AGGREGATE, or a Shopify location id -> available


class SyncProblem(Model):
    """A store's last stock push its channel refused (a SKU's push, or every push: credentials),
    for staff to see on the store's screen; a transient failure (retried) is not one."""

    store_id: str
    problem: str
    sku: str | None = None
    at: UtcDateTime


@dataclass
class SkuView:
    """A SKU's stock as it stands (None: never counted), its version, and the stores' listings."""

    sku: str
    total: StockLevel | None
    version: int
    locations: list[StockLevel] = field(default_factory=list)
    listings: dict[str, ChannelListing] = field(default_factory=dict)


class Claim(Enum):
    CLAIMED = "claimed"  # ours to push
    DONE = "done"  # this version (or a newer one) was pushed already
    BUSY = "busy"  # another worker is pushing: try again shortly


def store_syncs(store: Store) -> bool:
    return store.channel in SYNC_CHANNELS and store.settings.inventory_sync and store.api_connected


def syncs(store: Store, sku: str) -> bool:
    return store_syncs(store) and sku not in store.settings.no_sync_skus


def needs_push(listing: ChannelListing | None, version: int) -> bool:
    """A known listing whose last push is older than ``version``."""
    if listing is None or not listing.found:
        return False
    return listing.pushed_version is None or listing.pushed_version < version


def needs_lookup(listing: ChannelListing | None, now: datetime) -> bool:
    """Never looked up, or looked up, not found, and long enough ago to look again."""
    if listing is None:
        return True
    return not listing.found and now - listing.checked_at >= RECHECK_ABSENT


def quantities(
    store: Store,
    total: StockLevel,
    locations: list[StockLevel],
    location_order: list[str] | None = None,
) -> dict[str, int]:
    """What the store is told: ``{AGGREGATE: n}``, or ``{shopify location id: n}`` when the store
    maps our locations to Shopify's."""
    buffer = store.settings.stock_buffer
    mapped = store.settings.shopify_locations if store.channel == Channel.SHOPIFY else {}
    if not mapped:
        return {AGGREGATE: max(0, total.available - buffer)}
    free = {level.location: max(0, level.on_hand - level.reserved) for level in locations if level.location}
    unallocated = max(0, total.reserved - sum(level.reserved for level in locations))
    order = [loc for loc in (location_order or []) if loc in mapped]
    order += sorted(loc for loc in mapped if loc not in order)
    out: dict[str, int] = {}
    for ours in order:
        can_ship = free.get(ours, 0)
        taken = min(can_ship, unallocated)
        unallocated -= taken
        theirs = mapped[ours]
        out[theirs] = out.get(theirs, 0) + can_ship - taken
    return {theirs: max(0, n - buffer) for theirs, n in out.items()}
