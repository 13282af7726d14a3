"""Setting every store's stock of the SKUs whose available quantity changed (oms.inventory_sync).

For each SKU of a batch (coalesced: one pass per SKU, whatever number of changes it had), one
Query reads its stock, stock version and every store's listing of it. For each store that syncs
it: the SKU is looked up on the channel when the store's listing does not know it yet, the push
is claimed for the stock version read (nothing to do when that version or a newer one is on the
channel already), and the store's pushes go in as few calls as the channel allows, each carrying
the level read (the newest). A SKU another worker is pushing, or a store whose API asks us to wait
or fails for now, is returned to be retried; a refusal is recorded on the listing and that version
is not tried again. Credentials the channel refuses (401/403) raise one staff alert per store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from oms.integrations.http_transport import HttpError
from oms.integrations.shopify_graphql import ChannelRefused
from oms.inventory_sync import (
    ChannelListing,
    Claim,
    SkuView,
    StockPush,
    SyncProblem,
    needs_lookup,
    needs_push,
    quantities,
    store_syncs,
    syncs,
)
from oms.models import Store
from oms.notifications import Alert
from oms.timeutil import utcnow

LEASE = timedelta(seconds=45)  # longer than the function's timeout: a crashed push's claim runs out
CREDENTIALS_ALERT_QUIET = timedelta(hours=6)
CREDENTIALS_CACHE_SECONDS = 300.0
# An answer the adapter could not read (a missing key, a wrong type): retried, never a crashed batch.
UNREADABLE: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError)
CHANNEL_FAILURES: tuple[type[Exception], ...] = (HttpError, ChannelRefused, *UNREADABLE)


class InventoryChannel(Protocol):
    def look_up(self, sku: str, now: datetime) -> ChannelListing: ...
    def set_stock(self, pushes: Sequence[StockPush]) -> dict[str, str | None]: ...


class Listings(Protocol):
    def sku_view(self, sku: str) -> SkuView: ...
    def record_lookup(self, listing: ChannelListing) -> None: ...
    def claim(self, store_id: str, sku: str, version: int, *, now: datetime, lease: timedelta) -> Claim: ...
    def release(
        self,
        store_id: str,
        sku: str,
        version: int,
        *,
        pushed: dict[str, int] | None,
        at: datetime,
        problem: str | None = None,
    ) -> bool: ...
    def raise_once(self, store_id: str, kind: str, *, now: datetime, quiet: timedelta) -> bool: ...
    def note_problem(self, problem: SyncProblem) -> None: ...


class SyncStores(Protocol):
    def all(self) -> list[Store]: ...
    def api_credentials(self, store: Store) -> dict[str, Any] | None: ...


# The store's channel client from its credentials, or why it has none.
ChannelFactory = Callable[[Store, dict[str, Any] | None], InventoryChannel | str]


@dataclass
class SyncReport:
    pushed: list[dict[str, Any]] = field(default_factory=list)  # store, sku, version, quantities
    refused: list[dict[str, Any]] = field(default_factory=list)
    retry: set[str] = field(default_factory=set)  # SKUs to try again
    retry_after: int | None = None  # seconds a channel asked us to wait, the longest
    skipped: int = 0  # store x SKU pairs with nothing to push


class InventorySync:
    def __init__(
        self,
        listings: Listings,
        stores: SyncStores,
        channels: ChannelFactory,
        alert: Callable[[Alert], None],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.listings, self.stores, self.channels, self.alert = listings, stores, channels, alert
        self.clock = clock
        self._clients: dict[str, tuple[float, InventoryChannel | str]] = {}

    def sync(self, skus: Iterable[str], *, only: Store | None = None) -> SyncReport:
        """``only``: that store alone (a catalogue sync pushing its levels), as it was just read."""
        report = SyncReport()
        now = self.clock()
        stores = [s for s in ([only] if only else self.stores.all()) if store_syncs(s)]
        pushes: dict[str, list[StockPush]] = {}
        broken: set[str] = set()  # stores whose API failed in this pass
        for sku in dict.fromkeys(skus):
            if not any(syncs(store, sku) for store in stores):
                continue  # no store syncs it: not even read
            view = self.listings.sku_view(sku)
            if view.total is None:
                continue
            for store in stores:
                if store.store_id in broken or not syncs(store, sku):
                    continue
                push = self._plan(store, view, now, report, broken)
                if push is not None:
                    pushes.setdefault(store.store_id, []).append(push)
        by_id = {s.store_id: s for s in stores}
        for store_id, planned in pushes.items():
            self._push(by_id[store_id], planned, report)
        return report

    def push_levels(self, store: Store, skus: list[str]) -> tuple[set[str], int | None]:
        """These SKUs' levels pushed to this one store now (a catalogue sync): the SKUs to try
        again, and the longest wait the channel asked for."""
        report = self.sync(skus, only=store)
        return report.retry, report.retry_after

    def _plan(
        self, store: Store, view: SkuView, now: datetime, report: SyncReport, broken: set[str]
    ) -> StockPush | None:
        assert view.total is not None
        listing = view.listings.get(store.store_id)
        if needs_lookup(listing, now):
            client = self._client(store)
            if isinstance(client, str):
                report.skipped += 1
                return None
            try:
                listing = client.look_up(view.sku, now)
            except CHANNEL_FAILURES as error:
                self._failed(store, [view.sku], error, report)
                broken.add(store.store_id)
                return None
            self.listings.record_lookup(listing)
        if listing is None or not needs_push(listing, view.version):
            report.skipped += 1
            return None
        counts = quantities(store, view.total, view.locations, store.settings.location_priority)
        if (
            listing.pushed_version is not None
            and listing.problem is None
            and counts == listing.pushed_quantities
        ):
            # A newer version with the level the channel already shows (an allocation, a count
            # that changed nothing available): no call. A catalogue repush forgets the version.
            report.skipped += 1
            return None
        claim = self.listings.claim(store.store_id, view.sku, view.version, now=now, lease=LEASE)
        if claim is Claim.BUSY:
            report.retry.add(view.sku)
            return None
        if claim is Claim.DONE:
            report.skipped += 1
            return None
        return StockPush(listing, view.version, counts)

    def _push(self, store: Store, planned: list[StockPush], report: SyncReport) -> None:
        client = self._client(store)
        at = self.clock()
        try:
            if isinstance(client, str):
                raise ChannelRefused(client)
            results = client.set_stock(planned)
        except CHANNEL_FAILURES as error:
            for push in planned:  # let a retry claim them again at once
                self.listings.release(store.store_id, push.listing.sku, push.version, pushed=None, at=at)
            self._failed(store, [p.listing.sku for p in planned], error, report)
            return
        for push in planned:
            problem = results.get(push.listing.sku, "the channel did not answer for this SKU")
            sku = push.listing.sku
            entry = {"store_id": store.store_id, "sku": sku, "version": push.version}
            if problem is None:
                self.listings.release(store.store_id, sku, push.version, pushed=push.quantities, at=at)
                report.pushed.append({**entry, "quantities": push.quantities})
            else:
                # Noted before the lease goes: a crash between the two pushes again and notes again.
                self.listings.note_problem(
                    SyncProblem(store_id=store.store_id, problem=problem[:300], sku=sku, at=at)
                )
                self.listings.release(store.store_id, sku, push.version, pushed=None, at=at, problem=problem)
                report.refused.append({**entry, "problem": problem})

    def _failed(self, store: Store, skus: list[str], error: Exception, report: SyncReport) -> None:
        """A call that failed: retried when it may succeed later; credentials refused alert staff
        once per store (and are read again, in case staff fixed them); anything else is dropped
        for this version (the next change of the SKU tries again)."""
        if isinstance(error, UNREADABLE):  # an answer not shaped as documented: maybe a bad moment
            error = HttpError(
                f"the channel's answer could not be read ({type(error).__name__})", retryable=True
            )
        if isinstance(error, HttpError) and error.status in (401, 403):
            self._clients.pop(store.store_id, None)
            self.listings.note_problem(
                SyncProblem(
                    store_id=store.store_id,
                    problem=f"{store.channel.value} refused the store's API credentials ({error.status})",
                    at=self.clock(),
                )
            )
            if self.listings.raise_once(
                store.store_id, "inventory-credentials", now=self.clock(), quiet=CREDENTIALS_ALERT_QUIET
            ):
                self.alert(
                    Alert(
                        subject=f"Stock is not reaching {store.name}",
                        text=(
                            f"{store.channel.value} refused the OMS's API credentials for store "
                            f"{store.store_id} ({error.status}) while setting stock levels. Check the "
                            "store's API access token or REST keys and their inventory scopes, then "
                            "save them again; stock syncs with the next change of each SKU."
                        ),
                    )
                )
            return
        if isinstance(error, HttpError) and error.retryable:
            report.retry.update(skus)
            if error.retry_after:
                report.retry_after = max(report.retry_after or 0, error.retry_after)
            return
        for sku in skus:
            report.refused.append({"store_id": store.store_id, "sku": sku, "problem": str(error)[:300]})
        self.listings.note_problem(
            SyncProblem(
                store_id=store.store_id,
                problem=str(error)[:300],
                sku=skus[0] if skus else None,
                at=self.clock(),
            )
        )

    def _client(self, store: Store) -> InventoryChannel | str:
        now = time.monotonic()
        cached = self._clients.get(store.store_id)
        if cached and cached[0] > now:
            return cached[1]
        client = self.channels(store, self.stores.api_credentials(store))
        self._clients[store.store_id] = (now + CREDENTIALS_CACHE_SECONDS, client)
        return client
