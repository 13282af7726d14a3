"""Catalogue sync: matching a store's catalogue with our SKUs, and pushing every level again.

Inventory sync learns a store's ids for a SKU one SKU at a time, when the SKU first changes. A
catalogue sync reads the store's whole catalogue instead (Shopify's product variants, WooCommerce's
products and their variations), page by page, and:

- records each SKU's listing (its channel ids) and queues the SKUs we stock for inventory sync, so a
  store that just turned sync on gets every level without waiting for each SKU to change;
- reports the SKUs on one side only: sold on the channel but never counted here (``channel_only``)
  and stocked here but not sold on the channel (``ours_only``; their listings say so, so the sync
  stops looking them up);
- with ``repush``, pushes every level again even where the version was pushed already, for a
  store whose levels were changed by hand on the channel. Each listing carries the run's id, so the
  push is a new one on the channel (Shopify's ``@idempotent`` key covers it).

A run is one message per page on the catalogue queue; the page number on the run record makes a
redelivered page count once. One run per store at a time; staff start one
(``POST /stores/{id}/catalog-sync``), and turning a store's sync on starts one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from oms.inventory_sync import ChannelListing
from oms.models import Model
from oms.timeutil import UtcDateTime

SAMPLE = 50  # one-side-only SKUs named on the record (all are counted)
ABANDONED = timedelta(hours=1)  # a run with no page done this long is over: a new one may start


class CatalogPhase(StrEnum):
    CHANNEL = "channel"  # reading the store's catalogue
    OURS = "ours"  # reading our SKUs, for those the store does not sell


class CatalogStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class CatalogRun(Model):
    """One page of one store's catalogue sync, as it travels on the catalogue queue."""

    run_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")]
    store_id: str
    started_at: UtcDateTime
    repush: bool = False
    phase: CatalogPhase = CatalogPhase.CHANNEL
    cursor: str | None = None  # the channel's page cursor, or ours
    page: int = Field(default=0, ge=0)  # pages done before this one


class CatalogSync(Model):
    """A store's last catalogue sync, as the record shows it."""

    store_id: str
    run_id: str | None = None
    status: CatalogStatus | None = None
    requested_by: str | None = None
    repush: bool = False
    started_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None
    pages: int = 0
    # Where the page after the last one counted starts (None: there is none), so a page whose
    # next message was lost is continued from the record.
    next_phase: CatalogPhase | None = None
    next_cursor: str | None = None
    listed: int = 0  # SKUs the channel sells
    matched: int = 0  # of those, SKUs we stock
    queued: int = 0  # SKUs queued for inventory sync
    channel_only: int = 0
    ours_only: int = 0
    channel_only_skus: list[str] = Field(default_factory=list)
    ours_only_skus: list[str] = Field(default_factory=list)
    problem: str | None = None


class PageCounts(Model):
    """What one page adds to the record."""

    listed: int = 0
    matched: int = 0
    queued: int = 0
    channel_only: list[str] = Field(default_factory=list)
    ours_only: list[str] = Field(default_factory=list)


def first_per_sku(listings: Iterable[ChannelListing]) -> list[ChannelListing]:
    """One listing per SKU (a channel may sell a SKU twice: the first is the one synced)."""
    seen: dict[str, ChannelListing] = {}
    for listing in listings:
        if listing.sku and listing.sku not in seen:
            seen[listing.sku] = listing
    return list(seen.values())


def may_start(current: CatalogSync | None, now: datetime) -> bool:
    """No run of the store under way, or the one under way has done nothing for ``ABANDONED``."""
    if current is None or current.status is not CatalogStatus.RUNNING:
        return True
    return current.updated_at is None or now - current.updated_at >= ABANDONED


def unseen(listing: ChannelListing | None, run: CatalogRun) -> bool:
    """A SKU of ours the store's catalogue did not show in this run (its listing, if any, was last
    confirmed before the run started)."""
    return listing is None or not listing.found or listing.checked_at < run.started_at


def add_sample(sample: list[str], more: Iterable[str]) -> list[str]:
    out = list(sample)
    for sku in more:
        if len(out) >= SAMPLE:
            break
        if sku not in out:
            out.append(sku)
    return out
