"""Inventory sync (oms.inventory_sync, oms.services.inventory_sync_service): what each store is
told, version-guarded and coalesced pushes, lookups, failures; the Shopify and WooCommerce stock
adapters against replayed exchanges."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oms.integrations.http_transport import HttpError
from oms.integrations.shopify_graphql import ShopifyAdmin
from oms.integrations.shopify_inventory import ShopifyInventory
from oms.integrations.woocommerce_stock import WooCommerceStock
from oms.inventory_sync import (
    AGGREGATE,
    ChannelListing,
    Claim,
    SkuView,
    StockPush,
    SyncProblem,
    needs_lookup,
    needs_push,
    quantities,
)
from oms.models import StockLevel, Store
from oms.notifications import Alert
from oms.services.inventory_sync_service import InventorySync
from tests.replay import Replay
from tests.unit.builders import NOW, STORE, store


def level(available: int, *, reserved: int = 0, location: str | None = None) -> StockLevel:
    return StockLevel(
        sku="MUG", location=location, on_hand=available + reserved, reserved=reserved, available=available
    )


def syncing(**settings: Any) -> Store:
    return store(inventory_sync=True, **settings).model_copy(update={"api_connected": True})


def listing(*, found: bool = True, pushed: int | None = None, store_id: str = STORE) -> ChannelListing:
    return ChannelListing(
        store_id=store_id,
        sku="MUG",
        found=found,
        checked_at=NOW,
        inventory_item_id="808950810" if found else None,
        pushed_version=pushed,
    )


def test_a_store_is_told_available_stock_less_its_buffer_and_never_below_zero() -> None:
    assert quantities(syncing(stock_buffer=2), level(5), []) == {AGGREGATE: 3}
    assert quantities(syncing(stock_buffer=9), level(5), []) == {AGGREGATE: 0}


def test_mapped_shopify_locations_get_what_each_can_ship_after_unallocated_reservations() -> None:
    shop = syncing(shopify_locations={"wh-east": "111", "wh-west": "222"}, location_priority=["wh-west"])
    total = StockLevel(
        sku="MUG", on_hand=10, reserved=4, available=6
    )  # 1 at east for a shipment, 3 unallocated
    east = StockLevel(sku="MUG", location="wh-east", on_hand=6, reserved=1, available=5)
    west = StockLevel(sku="MUG", location="wh-west", on_hand=4, reserved=0, available=4)
    assert quantities(shop, total, [east, west], shop.settings.location_priority) == {"222": 1, "111": 5}


def test_only_a_newer_version_than_the_one_pushed_is_pushed() -> None:
    assert needs_push(listing(pushed=None), 1)
    assert needs_push(listing(pushed=4), 5)
    assert not needs_push(listing(pushed=5), 5)
    assert not needs_push(listing(pushed=6), 5)
    assert not needs_push(listing(found=False), 5)


def test_a_sku_the_store_does_not_sell_is_looked_up_again_only_after_a_day() -> None:
    assert needs_lookup(None, NOW)
    assert not needs_lookup(listing(found=False), NOW + timedelta(hours=23))
    assert needs_lookup(listing(found=False), NOW + timedelta(hours=24))
    assert not needs_lookup(listing(), NOW + timedelta(days=30))


@dataclass
class MemoryListings:
    """Our listings port in memory, with the repository's claim rules."""

    total: StockLevel | None
    version: int
    listings: dict[str, ChannelListing] = field(default_factory=dict)
    leases: dict[str, int] = field(default_factory=dict)
    alerts: set[tuple[str, str]] = field(default_factory=set)
    problems: list[SyncProblem] = field(default_factory=list)
    reads: int = 0

    def sku_view(self, sku: str) -> SkuView:
        self.reads += 1
        return SkuView(sku, self.total, self.version, [], dict(self.listings))

    def record_lookup(self, found: ChannelListing) -> None:
        old = self.listings.get(found.store_id)
        self.listings[found.store_id] = found.model_copy(
            update={"pushed_version": old.pushed_version if old else None}
        )

    def claim(self, store_id: str, sku: str, version: int, *, now: datetime, lease: timedelta) -> Claim:
        current = self.listings[store_id]
        if current.pushed_version is not None and current.pushed_version >= version:
            return Claim.DONE
        if store_id in self.leases:
            return Claim.BUSY
        self.leases[store_id] = version
        return Claim.CLAIMED

    def release(
        self,
        store_id: str,
        sku: str,
        version: int,
        *,
        pushed: dict[str, int] | None,
        at: datetime,
        problem: str | None = None,
    ) -> bool:
        assert self.leases.pop(store_id) == version
        if pushed is not None or problem is not None:
            self.listings[store_id] = self.listings[store_id].model_copy(
                update={"pushed_version": version, "pushed_quantities": pushed or {}, "problem": problem}
            )
        return True

    def raise_once(self, store_id: str, kind: str, *, now: datetime, quiet: timedelta) -> bool:
        new = (store_id, kind) not in self.alerts
        self.alerts.add((store_id, kind))
        return new

    def note_problem(self, problem: SyncProblem) -> None:
        self.problems.append(problem)


@dataclass
class Stores:
    stores: list[Store]
    credential_reads: int = 0

    def all(self) -> list[Store]:
        return list(self.stores)

    def api_credentials(self, store: Store) -> dict[str, Any] | None:
        self.credential_reads += 1
        return {"access_token": "t"}


@dataclass
class Channel:
    """A channel client standing in for the adapters (tested below against replays)."""

    sells: bool = True
    fail: Exception | None = None
    refuse: str | None = None
    lookups: list[str] = field(default_factory=list)
    sets: list[list[tuple[str, int, dict[str, int]]]] = field(default_factory=list)

    def look_up(self, sku: str, now: datetime) -> ChannelListing:
        self.lookups.append(sku)
        return listing(found=self.sells).model_copy(update={"checked_at": now})

    def set_stock(self, pushes: Sequence[StockPush]) -> dict[str, str | None]:
        if self.fail:
            raise self.fail
        self.sets.append([(p.listing.sku, p.version, p.quantities) for p in pushes])
        return {p.listing.sku: self.refuse for p in pushes}


def service(listings: MemoryListings, channel: Channel, *stores: Store) -> tuple[InventorySync, list[Alert]]:
    alerts: list[Alert] = []
    sync = InventorySync(
        listings, Stores(list(stores or [syncing()])), lambda s, c: channel, alerts.append, clock=lambda: NOW
    )
    return sync, alerts


def test_a_first_change_looks_the_sku_up_and_pushes_the_level_read_once() -> None:
    listings, channel = MemoryListings(level(7), version=3), Channel()
    sync, _ = service(listings, channel)
    report = sync.sync(["MUG", "MUG", "MUG"])  # three changes of one SKU in a batch
    assert channel.lookups == ["MUG"]
    assert channel.sets == [[("MUG", 3, {AGGREGATE: 7})]]
    assert listings.reads == 1
    assert report.pushed == [{"store_id": STORE, "sku": "MUG", "version": 3, "quantities": {AGGREGATE: 7}}]
    assert listings.listings[STORE].pushed_version == 3


def test_a_newer_version_with_the_level_the_channel_shows_already_costs_no_call() -> None:
    shown = listing(pushed=3).model_copy(update={"pushed_quantities": {AGGREGATE: 7}})
    listings, channel = MemoryListings(level(7), version=4, listings={STORE: shown}), Channel()
    sync, _ = service(listings, channel)
    report = sync.sync(["MUG"])  # an allocation moved a reservation: 7 available still
    assert (channel.sets, report.pushed, report.skipped) == ([], [], 1)
    listings.total, listings.version = level(6), 5
    assert sync.sync(["MUG"]).pushed[0]["quantities"] == {AGGREGATE: 6}
    assert channel.sets == [[("MUG", 5, {AGGREGATE: 6})]]


def test_a_late_message_for_a_version_already_pushed_changes_nothing() -> None:
    listings, channel = MemoryListings(level(7), version=3, listings={STORE: listing(pushed=3)}), Channel()
    sync, _ = service(listings, channel)
    report = sync.sync(["MUG"])
    assert (channel.lookups, channel.sets, report.pushed, report.skipped) == ([], [], [], 1)


def test_a_sku_another_worker_is_pushing_is_returned_for_a_retry() -> None:
    listings = MemoryListings(level(7), version=4, listings={STORE: listing(pushed=3)}, leases={STORE: 4})
    channel = Channel()
    report = service(listings, channel)[0].sync(["MUG"])
    assert (report.retry, channel.sets) == ({"MUG"}, [])


def test_stores_that_do_not_sync_or_do_not_sell_the_sku_are_not_pushed_to() -> None:
    quiet = store(inventory_sync=False).model_copy(update={"api_connected": True, "store_id": "quiet"})
    skipping = syncing(no_sync_skus=["MUG"]).model_copy(update={"store_id": "skipping"})
    listings, channel = MemoryListings(level(7), version=1), Channel(sells=False)
    report = service(listings, channel, quiet, skipping, syncing())[0].sync(["MUG"])
    assert channel.lookups == ["MUG"]  # only the syncing store, which does not sell it
    assert channel.sets == []
    assert report.pushed == []
    assert listings.listings[STORE].found is False


def test_a_throttled_store_returns_its_skus_with_the_wait_it_asked_for_and_frees_the_claim() -> None:
    listings = MemoryListings(level(7), version=2, listings={STORE: listing(pushed=1)})
    channel = Channel(fail=HttpError("Shopify answered THROTTLED", status=429, retryable=True, retry_after=4))
    report = service(listings, channel)[0].sync(["MUG"])
    assert (report.retry, report.retry_after, listings.leases) == ({"MUG"}, 4, {})
    assert listings.listings[STORE].pushed_version == 1
    assert listings.problems == []  # a wait, not a problem for staff


def test_refused_credentials_alert_staff_once_per_store_not_once_per_sku() -> None:
    listings = MemoryListings(level(7), version=2, listings={STORE: listing(pushed=1)})
    channel = Channel(fail=HttpError("Shopify answered 401", status=401))
    sync, alerts = service(listings, channel)
    first, second = sync.sync(["MUG"]), sync.sync(["MUG"])
    assert len(alerts) == 1
    assert "credentials" in alerts[0].text
    assert first.retry == set()
    assert second.retry == set()
    assert {(p.store_id, p.problem, p.sku) for p in listings.problems} == {
        (STORE, "shopify refused the store's API credentials (401)", None)
    }


def test_a_refusal_is_recorded_on_the_listing_and_that_version_is_not_tried_again() -> None:
    listings = MemoryListings(level(7), version=2, listings={STORE: listing(pushed=1)})
    channel = Channel(refuse="Shopify refused it: ITEM_NOT_STOCKED_AT_LOCATION")
    sync, _ = service(listings, channel)
    report = sync.sync(["MUG"])
    assert report.refused[0]["problem"].endswith("ITEM_NOT_STOCKED_AT_LOCATION")
    assert listings.listings[STORE].problem is not None
    (noted,) = listings.problems  # what the store's screen shows
    assert (noted.store_id, noted.sku) == (STORE, "MUG")
    assert noted.problem.endswith("ITEM_NOT_STOCKED_AT_LOCATION")
    assert sync.sync(["MUG"]).skipped == 1
    assert len(channel.sets) == 1


URL = "https://unit-shop.myshopify.com/admin/api/2026-10/graphql.json"


def graphql(variables: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "url": URL, "json": {"variables": variables}, "json_subset": True},
        "response": {"status": 200, "json": {"data": data}},
    }


def shopify(replay: Replay, location: str | None = None) -> ShopifyInventory:
    return ShopifyInventory(
        ShopifyAdmin(replay, shop_domain="unit-shop.myshopify.com", access_token="t", sleep=lambda s: None),
        STORE,
        location,
    )


def test_shopify_finds_the_exact_sku_among_its_search_matches() -> None:
    nodes = [
        {
            "id": "gid://shopify/ProductVariant/1",
            "sku": "MUG-XL",
            "inventoryItem": {"id": "gid://shopify/InventoryItem/9", "tracked": True},
        },
        {
            "id": "gid://shopify/ProductVariant/2",
            "sku": "MUG",
            "displayName": "Mug - Blue",
            "inventoryItem": {"id": "gid://shopify/InventoryItem/808950810", "tracked": True},
        },
    ]
    replay = Replay([graphql({"query": 'sku:"MUG"'}, {"productVariants": {"nodes": nodes}})])
    found = shopify(replay).look_up("MUG", NOW)
    assert (found.found, found.variant_id, found.inventory_item_id, found.name) == (
        True,
        "2",
        "808950810",
        "Mug - Blue",
    )


def test_a_shopify_variant_whose_inventory_is_not_tracked_is_not_synced() -> None:
    nodes = [
        {
            "id": "gid://shopify/ProductVariant/2",
            "sku": "MUG",
            "inventoryItem": {"id": "gid://shopify/InventoryItem/8", "tracked": False},
        }
    ]
    replay = Replay([graphql({"query": 'sku:"MUG"'}, {"productVariants": {"nodes": nodes}})])
    assert shopify(replay).look_up("MUG", NOW).found is False


def test_shopify_sets_available_at_the_shops_first_location_with_an_idempotency_key() -> None:
    location = graphql(
        {}, {"locations": {"nodes": [{"id": "gid://shopify/Location/655441491", "name": "Main"}]}}
    )
    wanted = {
        "input": {
            "name": "available",
            "reason": "correction",
            "quantities": [
                {
                    "inventoryItemId": "gid://shopify/InventoryItem/808950810",
                    "locationId": "gid://shopify/Location/655441491",
                    "quantity": 0,
                    "changeFromQuantity": None,
                }
            ],
        }
    }
    changed = {
        "inventorySetQuantities": {
            "inventoryAdjustmentGroup": {"reason": "correction", "changes": []},
            "userErrors": [],
        }
    }
    replay = Replay([location, graphql(wanted, changed), graphql(wanted, changed)])
    adapter = shopify(replay)
    push = StockPush(listing(), 7, {AGGREGATE: 0})
    assert adapter.set_stock([push]) == {"MUG": None}
    assert adapter.set_stock([push]) == {"MUG": None}  # the location is looked up once
    keys = [sent["json"]["variables"]["key"] for sent in replay.sent[1:]]
    assert keys[0] == keys[1]
    assert keys[0].startswith("oms-stock-")
    other = StockPush(listing(), 8, {AGGREGATE: 0})
    replay.exchanges.append(graphql(wanted, changed))
    adapter.set_stock([other])
    assert replay.sent[-1]["json"]["variables"]["key"] != keys[0]


def test_one_refused_sku_in_a_shopify_push_does_not_hold_back_the_others() -> None:
    refused = {
        "inventorySetQuantities": {
            "userErrors": [{"code": "INVALID_INVENTORY_ITEM", "field": ["input"], "message": "x"}]
        }
    }
    took = {"inventorySetQuantities": {"userErrors": []}}
    replay = Replay([graphql({}, refused), graphql({}, refused), graphql({}, took)])
    bad = StockPush(
        listing().model_copy(update={"sku": "BAD", "inventory_item_id": "1"}), 2, {"655441491": 1}
    )
    good = StockPush(listing(), 2, {"655441491": 4})
    assert shopify(replay, "655441491").set_stock([bad, good]) == {
        "BAD": "Shopify refused it: INVALID_INVENTORY_ITEM",
        "MUG": None,
    }


WOO = "https://shop.example.com/wp-json/wc/v3/products"


def woo(replay: Replay) -> WooCommerceStock:
    return WooCommerceStock(
        replay, store_id=STORE, site_url="https://shop.example.com", consumer_key="ck", consumer_secret="cs"
    )


def rest(method: str, url: str, response: Any, payload: Any = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "url": url}
    if payload is not None:
        request["json"] = payload
    return {"request": request, "response": {"status": 200, "json": response}}


def test_woocommerce_finds_a_variation_by_sku_with_its_parent() -> None:
    found = [
        {"id": 732, "name": "Ship Your Idea - Black", "type": "variation", "sku": "MUG", "parent_id": 22}
    ]
    replay = Replay([rest("GET", f"{WOO}?sku=MUG&per_page=10", found)])
    got = woo(replay).look_up("MUG", NOW)
    assert (got.found, got.product_id, got.parent_id) == (True, "732", "22")


def test_woocommerce_stock_goes_through_the_batch_endpoints_and_reports_each_refusal() -> None:
    simple = listing().model_copy(update={"sku": "CAP", "product_id": "794"})
    variation = listing().model_copy(update={"product_id": "732", "parent_id": "22"})
    broken = listing().model_copy(update={"sku": "OLD", "product_id": "795"})
    error = {
        "id": 795,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    replay = Replay(
        [
            rest(
                "POST",
                f"{WOO}/batch",
                {"update": [{"id": 794, "stock_quantity": 3}, error]},
                {
                    "update": [
                        {"id": 794, "manage_stock": True, "stock_quantity": 3},
                        {"id": 795, "manage_stock": True, "stock_quantity": 1},
                    ]
                },
            ),
            rest(
                "POST",
                f"{WOO}/22/variations/batch",
                {"update": [{"id": 732, "stock_quantity": 0}]},
                {"update": [{"id": 732, "manage_stock": True, "stock_quantity": 0}]},
            ),
        ]
    )
    result = woo(replay).set_stock(
        [
            StockPush(simple, 1, {AGGREGATE: 3}),
            StockPush(broken, 1, {AGGREGATE: 1}),
            StockPush(variation, 1, {AGGREGATE: 0}),
        ]
    )
    assert result == {
        "CAP": None,
        "OLD": "WooCommerce refused it: woocommerce_rest_product_invalid_id",
        "MUG": None,
    }
    assert json.dumps(replay.exchanges) == "[]"


def test_an_answer_not_shaped_as_documented_is_retried_not_a_crashed_batch() -> None:
    listings = MemoryListings(level(7), version=2, listings={STORE: listing(pushed=1)})
    channel = Channel(fail=KeyError("inventorySetQuantities"))
    report = service(listings, channel)[0].sync(["MUG"])
    assert (report.retry, listings.leases, listings.listings[STORE].pushed_version) == ({"MUG"}, {}, 1)
