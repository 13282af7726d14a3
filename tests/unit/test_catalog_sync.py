"""Catalogue syncs (oms.catalog_sync, oms.services.catalog_sync_service) over in-memory ports: a
store's catalogue read page by page, its SKUs' listings recorded, their levels pushed where it
syncs, SKUs on one side only reported; each page counted once however often it is delivered, a
lost next page continued from the record, one run per store at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from oms.catalog_sync import (
    ABANDONED,
    SAMPLE,
    CatalogRun,
    CatalogStatus,
    CatalogSync,
    PageCounts,
)
from oms.errors import Conflict, NotFound
from oms.integrations.http_transport import HttpError
from oms.inventory_sync import ChannelListing
from oms.models import Store
from oms.services.catalog_sync_service import CatalogSyncService, PushesPending, start_run
from tests.unit.builders import NOW
from tests.unit.builders import store as build_store

STORE = "unit-shop"


def shop(**settings: Any) -> Store:
    return build_store(**settings).model_copy(update={"api_connected": True})


@dataclass
class Records:
    record: CatalogSync | None = None

    def get(self, store_id: str) -> CatalogSync | None:
        return self.record

    def start(self, record: CatalogSync, previous: CatalogSync | None) -> bool:
        current = self.record.run_id if self.record else None
        if current != (previous.run_id if previous else None):
            return False
        self.record = record
        return True

    def add_page(
        self,
        run: CatalogRun,
        counts: PageCounts,
        current: CatalogSync,
        at: datetime,
        following: CatalogRun | None,
    ) -> bool:
        r = self.record
        if r is None or r.run_id != run.run_id or r.pages != run.page:
            return False
        self.record = r.model_copy(
            update={
                "pages": r.pages + 1,
                "listed": r.listed + counts.listed,
                "matched": r.matched + counts.matched,
                "queued": r.queued + counts.queued,
                "channel_only": r.channel_only + len(counts.channel_only),
                "ours_only": r.ours_only + len(counts.ours_only),
                "channel_only_skus": (r.channel_only_skus + counts.channel_only)[:SAMPLE],
                "ours_only_skus": (r.ours_only_skus + counts.ours_only)[:SAMPLE],
                "next_phase": following.phase if following else None,
                "next_cursor": following.cursor if following else None,
                "updated_at": at,
            }
        )
        return True

    def finish(
        self, run: CatalogRun, status: CatalogStatus, at: datetime, problem: str | None = None
    ) -> bool:
        if (
            self.record is None
            or self.record.run_id != run.run_id
            or self.record.status is not CatalogStatus.RUNNING
        ):
            return False
        self.record = self.record.model_copy(update={"status": status, "finished_at": at, "problem": problem})
        return True


@dataclass
class Listings:
    held: dict[str, ChannelListing] = field(default_factory=dict)
    repushed: list[str] = field(default_factory=list)

    def listings_of(self, store_id: str, skus: list[str]) -> dict[str, ChannelListing]:
        return {s: self.held[s] for s in skus if s in self.held}

    def record_lookup(self, listing: ChannelListing, *, repush_run: str | None = None) -> None:
        self.held[listing.sku] = listing
        if repush_run:
            self.repushed.append(listing.sku)


@dataclass
class Ours:
    skus: list[str]

    def sku_page(self, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        start = int(cursor or 0)
        more = start + limit < len(self.skus)
        return self.skus[start : start + limit], (str(start + limit) if more else None)

    def stocked(self, skus: list[str]) -> set[str]:
        return set(skus) & set(self.skus)


@dataclass
class Queue:
    sent: list[CatalogRun] = field(default_factory=list)

    def send(self, run: CatalogRun) -> None:
        self.sent.append(run)


class Stores:
    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, store_id: str) -> Store | None:
        return self.store if store_id == self.store.store_id else None

    def api_credentials(self, store: Store) -> dict[str, Any] | None:
        return {"access_token": "shpat_unit"}


class Catalogue:
    """The channel's catalogue: pages of SKUs (a SKU the store does not track stock of is listed
    as not found)."""

    def __init__(self, *pages: list[str], untracked: frozenset[str] = frozenset()) -> None:
        self.pages, self.untracked = list(pages), untracked
        self.reads = 0
        self.fail: HttpError | None = None

    def catalog_page(self, cursor: str | None, now: datetime) -> tuple[list[ChannelListing], str | None]:
        self.reads += 1
        if self.fail:
            raise self.fail
        n = int(cursor or 0)
        listings = [
            ChannelListing(
                store_id=STORE, sku=sku, found=sku not in self.untracked, checked_at=now, variant_id="1"
            )
            for sku in self.pages[n]
        ]
        return listings, (str(n + 1) if n + 1 < len(self.pages) else None)


class World:
    def __init__(self, catalogue: Catalogue, ours: list[str], store: Store | None = None) -> None:
        self.store = store or shop(inventory_sync=True)
        self.catalogue, self.records, self.listings = catalogue, Records(), Listings()
        self.queue, self.pushed = Queue(), list[list[str]]()
        self.retry: set[str] = set()
        self.service = CatalogSyncService(
            Stores(self.store),
            self.records,
            self.listings,
            Ours(ours),
            self.queue,
            lambda store, credentials: self.catalogue,
            self,
        )

    def push_levels(self, store: Store, skus: list[str]) -> tuple[set[str], int | None]:
        self.pushed.append(skus)
        retry, self.retry = self.retry & set(skus), set()
        return retry, 3 if retry else None

    def start(self, repush: bool = False, now: datetime = NOW) -> CatalogSync:
        return start_run(self.store, self.records, self.queue, actor="staff", repush=repush, now=now)

    def run_all(self, now: datetime = NOW) -> None:
        while self.queue.sent:
            self.service.page(self.queue.sent.pop(0), now)


def test_a_catalogue_sync_records_the_skus_we_stock_pushes_them_and_reports_both_sides() -> None:
    world = World(Catalogue(["A", "B", "X"], ["C", "Y"]), ours=["A", "B", "C", "D"])
    world.start()
    world.run_all()
    record = world.records.record
    assert record is not None
    assert record.status is CatalogStatus.FINISHED
    assert (record.pages, record.listed, record.matched, record.queued) == (3, 5, 3, 3)
    assert (record.channel_only, record.channel_only_skus) == (2, ["X", "Y"])
    assert (record.ours_only, record.ours_only_skus) == (1, ["D"])
    assert world.pushed == [["A", "B"], ["C"]]
    assert {s: x.found for s, x in world.listings.held.items()} == {
        "A": True,
        "B": True,
        "C": True,
        "D": False,
    }


def test_a_store_that_does_not_sync_still_learns_its_listings_but_nothing_is_pushed() -> None:
    world = World(Catalogue(["A", "B"]), ours=["A"], store=shop(inventory_sync=False))
    world.start()
    world.run_all()
    assert world.pushed == []
    assert world.records.record is not None
    assert (world.records.record.matched, world.records.record.queued) == (1, 0)


def test_skus_the_store_does_not_sync_or_track_are_neither_pushed_nor_matched() -> None:
    world = World(
        Catalogue(["A", "B", "U"], untracked=frozenset({"U"})),
        ours=["A", "B", "U"],
        store=shop(inventory_sync=True, no_sync_skus=["B"]),
    )
    world.start()
    world.run_all()
    assert world.pushed == [["A"]]
    record = world.records.record
    assert record is not None
    assert (record.listed, record.matched, record.ours_only_skus) == (2, 2, ["U"])


def test_a_page_delivered_twice_is_counted_once_and_a_lost_next_page_is_continued_from_the_record() -> None:
    world = World(Catalogue(["A"], ["B"]), ours=["A", "B"])
    world.start()
    first = world.queue.sent.pop(0)
    world.service.page(first, NOW)
    (second,) = world.queue.sent
    # The first page again (the queue delivered it twice, or its delete was lost): not counted
    # again, and the next page queued again (the FIFO queue keeps one of the two).
    world.service.page(first, NOW)
    assert world.queue.sent == [second, second]
    record = world.records.record
    assert record is not None
    assert (record.pages, record.listed) == (1, 1)
    world.queue.sent.pop()
    world.run_all()
    record = world.records.record
    assert record is not None
    assert (record.status, record.pages, record.listed) == (CatalogStatus.FINISHED, 3, 2)
    # A delivery of an old page once the run is over changes nothing.
    world.service.page(first, NOW)
    assert world.queue.sent == []


def test_a_page_whose_pushes_must_wait_is_tried_again_and_counted_once() -> None:
    world = World(Catalogue(["A", "B"]), ours=["A", "B"])
    world.start()
    world.retry = {"B"}
    page = world.queue.sent.pop(0)
    with pytest.raises(PushesPending) as pending:
        world.service.page(page, NOW)
    assert (pending.value.skus, pending.value.retry_after) == ({"B"}, 3)
    assert world.records.record is not None
    assert world.records.record.pages == 0
    world.service.page(page, NOW)
    world.run_all()
    assert world.records.record.listed == 2


def test_a_repush_forgets_what_was_pushed_so_every_level_is_set_again() -> None:
    world = World(Catalogue(["A", "B"]), ours=["A", "B"])
    world.start(repush=True)
    world.run_all()
    assert world.listings.repushed == ["A", "B"]
    plain = World(Catalogue(["A"]), ours=["A"])
    plain.start()
    plain.run_all()
    assert plain.listings.repushed == []


def test_one_run_per_store_at_a_time_unless_the_one_under_way_stalled() -> None:
    world = World(Catalogue(["A"], ["B"]), ours=["A", "B"])
    first = world.start()
    # Asked again before its first page was read (the first request may have died before it was
    # queued): the same run is queued again, not a second one.
    again = world.start()
    assert again.run_id == first.run_id
    assert [run.run_id for run in world.queue.sent] == [first.run_id, first.run_id]
    world.queue.sent.pop()
    world.service.page(world.queue.sent.pop(0), NOW)
    with pytest.raises(Conflict) as error:
        world.start()
    assert error.value.code == "catalog_sync_running"
    later = NOW + ABANDONED + timedelta(seconds=1)
    record = world.start(now=later)
    assert record.started_at == later
    # The stalled run's pages are stale now: they change nothing.
    stale = world.queue.sent.pop(0)
    assert world.service.page(stale, later).done == "stale"


def test_a_catalogue_is_refused_for_an_unknown_store_a_manual_one_or_one_without_credentials() -> None:
    world = World(Catalogue(["A"]), ours=["A"])
    with pytest.raises(NotFound):
        start_run(None, world.records, world.queue, actor="staff", repush=False, now=NOW)
    manual = build_store().model_copy(update={"channel": "manual", "api_connected": True})
    with pytest.raises(Conflict) as error:
        start_run(manual, world.records, world.queue, actor="staff", repush=False, now=NOW)
    assert error.value.code == "catalog_unsupported"
    with pytest.raises(Conflict) as error:
        start_run(build_store(), world.records, world.queue, actor="staff", repush=False, now=NOW)
    assert error.value.code == "no_api_credentials"
    assert world.queue.sent == []


def test_credentials_the_channel_refuses_end_the_run_as_failed_and_an_outage_is_retried() -> None:
    world = World(Catalogue(["A"]), ours=["A"])
    world.start()
    page = world.queue.sent.pop(0)
    world.catalogue.fail = HttpError("Shopify answered 503", status=503, retryable=True)
    with pytest.raises(HttpError):
        world.service.page(page, NOW)
    assert world.records.record is not None
    assert world.records.record.status is CatalogStatus.RUNNING
    world.catalogue.fail = HttpError("Shopify answered 401", status=401)
    outcome = world.service.page(page, NOW)
    assert outcome.done == "failed"
    assert world.records.record.status is CatalogStatus.FAILED
    assert "401" in str(world.records.record.problem)
    assert world.queue.sent == []


def test_our_skus_are_read_in_pages_after_the_channels() -> None:
    ours = [f"S{i:03}" for i in range(250)]
    world = World(Catalogue(["S000"]), ours=ours)
    world.start()
    world.run_all()
    record = world.records.record
    assert record is not None
    assert record.pages == 1 + 3  # one channel page, our 250 SKUs in pages of 100
    assert record.ours_only == 249
    assert len(record.ours_only_skus) == SAMPLE
