"""Catalogue syncs (oms.catalog_sync): staff, or a store turning its inventory sync on, start one;
the catalogue queue carries it a page at a time.

A page of the channel's catalogue: the listings of the SKUs we stock are recorded (their channel
ids; with ``repush``, their pushed version forgotten) and, where the store syncs its stock, their
levels pushed to it at once (oms.services.inventory_sync_service, this store only); SKUs the
channel sells that we never counted are counted as ``channel_only``. When the channel's pages are
done, our SKUs are read a page at a time: those the catalogue did not show are ``ours_only`` (their
listings say so, and the sync stops looking them up for a day). Each page's counts are added once
(conditional on the pages done), then the next page is queued (FIFO, deduplicated on run and page:
a page redelivered after its counts were added queues the next again, and the queue drops the
copy).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from oms.catalog_sync import (
    CatalogPhase,
    CatalogRun,
    CatalogStatus,
    CatalogSync,
    PageCounts,
    first_per_sku,
    may_start,
    unseen,
)
from oms.errors import Conflict, NotFound
from oms.integrations.http_transport import HttpError
from oms.inventory_sync import SYNC_CHANNELS, ChannelListing, store_syncs
from oms.models import Store

OURS_PAGE = 100  # our SKUs read per page (one BatchGet of their listings)


class CatalogChannel(Protocol):
    def catalog_page(self, cursor: str | None, now: datetime) -> tuple[list[ChannelListing], str | None]: ...


class CatalogRecords(Protocol):
    def get(self, store_id: str) -> CatalogSync | None: ...
    def start(self, record: CatalogSync, previous: CatalogSync | None) -> bool: ...
    def add_page(
        self,
        run: CatalogRun,
        counts: PageCounts,
        current: CatalogSync,
        at: datetime,
        following: CatalogRun | None,
    ) -> bool: ...
    def finish(
        self, run: CatalogRun, status: CatalogStatus, at: datetime, problem: str | None = None
    ) -> bool: ...


class CatalogListings(Protocol):
    def listings_of(self, store_id: str, skus: list[str]) -> dict[str, ChannelListing]: ...
    def record_lookup(self, listing: ChannelListing, *, repush_run: str | None = None) -> None: ...


class OurSkus(Protocol):
    def sku_page(self, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]: ...
    def stocked(self, skus: list[str]) -> set[str]: ...


class CatalogStores(Protocol):
    def find(self, store_id: str) -> Store | None: ...
    def api_credentials(self, store: Store) -> dict[str, Any] | None: ...


class PageQueue(Protocol):
    def send(self, run: CatalogRun) -> None: ...


ChannelFactory = Callable[[Store, dict[str, Any] | None], CatalogChannel | str]


class Levels(Protocol):
    def push_levels(self, store: Store, skus: list[str]) -> tuple[set[str], int | None]:
        """Push these SKUs' levels to this store now: the SKUs that must be tried again, and how
        long the channel asked us to wait (seconds), if it did (oms.services.inventory_sync_service)."""
        ...


@dataclass
class PageOutcome:
    run: CatalogRun
    done: str  # page | finished | failed | stale
    counts: PageCounts = field(default_factory=PageCounts)
    problem: str | None = None


class PushesPending(Exception):
    """Some of the page's SKUs could not be pushed yet (another push of them under way, the
    channel asking us to wait): the page is tried again, after ``retry_after`` seconds."""

    def __init__(self, skus: set[str], retry_after: int | None) -> None:
        super().__init__(f"{len(skus)} SKU(s) to push again")
        self.skus, self.retry_after = skus, retry_after


class StartRecords(Protocol):
    def get(self, store_id: str) -> CatalogSync | None: ...
    def start(self, record: CatalogSync, previous: CatalogSync | None) -> bool: ...


def start_run(
    store: Store | None, records: StartRecords, queue: PageQueue, *, actor: str, repush: bool, now: datetime
) -> CatalogSync:
    """A run of the store's catalogue, queued (staff asked, or its inventory sync was turned on);
    Conflict when one is under way, or the store has no catalogue we can read. A run recorded but
    not begun (the request that started it may have died before queueing it) is queued again: the
    queue keeps one message per run and page."""
    if store is None:
        raise NotFound("unknown store", code="unknown_store")
    if store.channel not in SYNC_CHANNELS:
        raise Conflict(f"{store.channel} stores have no catalogue to read", code="catalog_unsupported")
    if not store.api_connected:
        raise Conflict(
            "the store has no API credentials to read its catalogue with", code="no_api_credentials"
        )
    current = records.get(store.store_id)
    if not may_start(current, now):
        if current is None or not current.run_id or current.started_at is None or current.pages:
            raise Conflict("a catalogue sync of this store is under way", code="catalog_sync_running")
        first = CatalogRun(
            run_id=current.run_id,
            store_id=store.store_id,
            started_at=current.started_at,
            repush=current.repush,
        )
        queue.send(first)
        return current
    run = CatalogRun(run_id=uuid.uuid4().hex[:16], store_id=store.store_id, started_at=now, repush=repush)
    record = CatalogSync(
        store_id=store.store_id,
        run_id=run.run_id,
        status=CatalogStatus.RUNNING,
        requested_by=actor,
        repush=repush,
        started_at=now,
        updated_at=now,
    )
    if not records.start(record, current):
        raise Conflict("a catalogue sync of this store is under way", code="catalog_sync_running")
    queue.send(run)
    return record


class CatalogSyncService:
    def __init__(
        self,
        stores: CatalogStores,
        records: CatalogRecords,
        listings: CatalogListings,
        ours: OurSkus,
        queue: PageQueue,
        channels: ChannelFactory,
        levels: Levels,
    ) -> None:
        self.stores, self.records, self.listings, self.ours = stores, records, listings, ours
        self.queue, self.channels, self.levels = queue, channels, levels

    # ----------------------------------------------------------------- a page
    def page(self, run: CatalogRun, now: datetime) -> PageOutcome:
        record = self.records.get(run.store_id)
        if record is None or record.run_id != run.run_id or record.status is not CatalogStatus.RUNNING:
            return PageOutcome(run, "stale")  # a newer run, or this one is over
        if record.pages > run.page:
            # Counted already (its next page's message was lost, or this is the queue's copy):
            # queue the next again; the FIFO queue drops a copy of one it has.
            if record.pages == run.page + 1:
                return self._next(run, record, None, now, counted=False)
            return PageOutcome(run, "stale")
        store = self.stores.find(run.store_id)
        if store is None:
            self.records.finish(run, CatalogStatus.FAILED, now, "the store no longer exists")
            return PageOutcome(run, "failed", problem="the store no longer exists")
        client = self.channels(store, self.stores.api_credentials(store))
        if isinstance(client, str):
            self.records.finish(run, CatalogStatus.FAILED, now, client)
            return PageOutcome(run, "failed", problem=client)
        try:
            if run.phase is CatalogPhase.CHANNEL:
                counts, cursor = self._channel_page(store, client, run, now)
            else:
                counts, cursor = self._our_page(store, run, now)
        except HttpError as error:
            if error.retryable:
                raise
            problem = f"{store.channel.value} answered {error.status}: {error}"[:300]
            self.records.finish(run, CatalogStatus.FAILED, now, problem)
            return PageOutcome(run, "failed", problem=problem)
        return self._next(run, record, cursor, now, counts=counts)

    def _channel_page(
        self, store: Store, client: CatalogChannel, run: CatalogRun, now: datetime
    ) -> tuple[PageCounts, str | None]:
        listed, cursor = client.catalog_page(run.cursor, now)
        found = [listing for listing in first_per_sku(listed) if listing.found]
        skus = [listing.sku for listing in found]
        stocked = self.ours.stocked(skus) if skus else set()
        matched = [listing for listing in found if listing.sku in stocked]
        for listing in matched:
            self.listings.record_lookup(listing, repush_run=run.run_id if run.repush else None)
        queued = 0
        if matched and store_syncs(store):
            wanted = [x.sku for x in matched if x.sku not in store.settings.no_sync_skus]
            if wanted:
                retry, wait = self.levels.push_levels(store, wanted)
                if retry:
                    raise PushesPending(retry, wait)
                queued = len(wanted)
        counts = PageCounts(
            listed=len(found),
            matched=len(matched),
            queued=queued,
            channel_only=sorted(sku for sku in skus if sku not in stocked),
        )
        return counts, cursor

    def _our_page(self, store: Store, run: CatalogRun, now: datetime) -> tuple[PageCounts, str | None]:
        skus, cursor = self.ours.sku_page(limit=OURS_PAGE, cursor=run.cursor)
        held = self.listings.listings_of(store.store_id, skus) if skus else {}
        missing = [sku for sku in skus if unseen(held.get(sku), run)]
        for sku in missing:
            self.listings.record_lookup(
                ChannelListing(store_id=store.store_id, sku=sku, found=False, checked_at=now)
            )
        return PageCounts(ours_only=missing), cursor

    def _next(
        self,
        run: CatalogRun,
        record: CatalogSync,
        cursor: str | None,
        now: datetime,
        *,
        counts: PageCounts | None = None,
        counted: bool = True,
    ) -> PageOutcome:
        if counted:
            assert counts is not None
            following = _following(run, cursor)
            if not self.records.add_page(run, counts, record, now, following):
                return PageOutcome(run, "stale")  # another delivery of this page counted it
        else:  # counted by an earlier delivery, which recorded where the next page starts
            following = (
                run.model_copy(
                    update={"page": run.page + 1, "phase": record.next_phase, "cursor": record.next_cursor}
                )
                if record.next_phase
                else None
            )
        if following is None:
            self.records.finish(run, CatalogStatus.FINISHED, now)
            return PageOutcome(run, "finished", counts or PageCounts())
        self.queue.send(following)
        return PageOutcome(following, "page", counts or PageCounts())


def _following(run: CatalogRun, cursor: str | None) -> CatalogRun | None:
    """The run's next page: the channel's next, then our first, then our next; None when done."""
    if cursor is not None:
        return run.model_copy(update={"cursor": cursor, "page": run.page + 1})
    if run.phase is CatalogPhase.CHANNEL:
        return run.model_copy(update={"phase": CatalogPhase.OURS, "cursor": None, "page": run.page + 1})
    return None
