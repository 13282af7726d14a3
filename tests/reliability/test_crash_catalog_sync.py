"""A crash at every AWS call of a catalogue sync staff ask for (the stores API, the catalogue sync
function with the inventory pushes it makes) ends where the uncrashed run ends: the run finished,
each page counted once, the SKU we stock set on Shopify at our level once per version, the SKU
only Shopify sells reported. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from oms.integrations.http_transport import HttpResponse
from oms.timeutil import utcnow
from tests.reliability.test_crash_after_sale import converge
from tests.reliability.test_crash_every_step import SECRET, World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

PATH = ("StoresApiFunction", "CatalogSyncFunction")
SHOP, TOKEN = "crash-catalog", "shpat_crash_catalog_token"
LOCATION = "655441491"


class ShopifyCatalogue:
    """Shopify's GraphQL Admin API for a catalogue sync, as its documentation shows it: the shop's
    variants a page at a time (one page: the life's SKU and one we never stock), a SKU search that
    finds nothing before (the stock count's own sync), its first location, and
    ``inventorySetQuantities`` under ``@idempotent`` keys (a key seen before is answered from the
    first answer and applies nothing)."""

    def __init__(self) -> None:
        self.skus: list[str] = []
        self.applied: list[tuple[str, int]] = []
        self.keys: dict[str, dict[str, Any]] = {}

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert url == f"https://{SHOP}.myshopify.com/admin/api/2026-10/graphql.json", url
        assert headers["x-shopify-access-token"] == TOKEN
        sent = json.loads(body or b"{}")
        name = sent["query"].split("(")[0].split("{")[0].split()[-1]
        variables = sent.get("variables") or {}
        if name == "CatalogVariants":
            nodes = [
                {
                    "id": f"gid://shopify/ProductVariant/{i + 1}",
                    "sku": sku,
                    "displayName": sku,
                    "inventoryItem": {"id": f"gid://shopify/InventoryItem/{i + 1}", "tracked": True},
                }
                for i, sku in enumerate(self.skus)
            ]
            data: dict[str, Any] = {"productVariants": {"nodes": nodes, "pageInfo": {"hasNextPage": False}}}
        elif name == "VariantBySku":  # the stock count's own sync: not on the shop until the life's page
            data = {"productVariants": {"nodes": []}}
        elif name == "FirstLocation":
            data = {"locations": {"nodes": [{"id": f"gid://shopify/Location/{LOCATION}", "name": "Shop"}]}}
        else:
            assert name == "SetAvailable", name
            key = variables["key"]
            if key not in self.keys:
                for quantity in variables["input"]["quantities"]:
                    item = int(quantity["inventoryItemId"].rsplit("/", 1)[1])
                    self.applied.append((self.skus[item - 1], quantity["quantity"]))
                self.keys[key] = {
                    "inventorySetQuantities": {"inventoryAdjustmentGroup": {}, "userErrors": []}
                }
            data = self.keys[key]
        return HttpResponse(200, json.dumps({"data": data}).encode())


def catalogue_life(world: World, shopify: ShopifyCatalogue) -> tuple[dict[str, Any], list[Any]]:
    """A new SKU counted in (the shop sells it, and one we never stock); staff ask for the shop's
    catalogue (retrying until the API takes it); everything runs until the run is over."""
    world.n += 1
    stack = world.stack
    with world.paused():
        sku = stack.new_sku("CRASH-CAT", wh_east=4)
        stack.cloud.drain()
    shopify.skus = [sku, f"THEIRS-{world.n}"]
    shopify.applied.clear()
    first = len(world.recorder.calls)
    with world.recorder.recording():
        for _ in range(3):
            status, _ = stack.api("POST", f"/stores/{SHOP}/catalog-sync", {})
            if status == 202:
                break
        for _ in range(10):
            stack.cloud.drain()
            with world.paused():
                record = stack.api("GET", f"/stores/{SHOP}/catalog-sync")[1]
            if record["status"] != "running":
                break
    calls = world.recorder.calls[first:]
    with world.paused():
        record = stack.api("GET", f"/stores/{SHOP}/catalog-sync")[1]
        state = {
            "status": record["status"],
            "counts": (record["listed"], record["matched"], record["queued"]),
            "channel_only": record["channel_only_skus"],
            "ours_only": sku not in record["ours_only_skus"] and record["ours_only"] > 0,
            "applied": [(s == sku, q) for s, q in shopify.applied],
            "sets": sorted(Counter(shopify.applied).values()),
            "dlq": stack.queue_depth("CatalogDLQ"),
        }
    state["channel_only"] = [s.split("-")[0] for s in state["channel_only"]]
    return state, calls


def test_a_crash_at_any_call_of_a_catalogue_sync_sets_each_level_once_and_counts_each_page_once(
    world: World,
) -> None:
    stack = world.stack
    with world.paused():
        store = {
            "store_id": SHOP,
            "channel": "shopify",
            "name": "Crash catalogue",
            "webhook_secret": SECRET,
            "shop_domain": f"{SHOP}.myshopify.com",
            "api_credentials": {"access_token": TOKEN},
            "settings": {"location_priority": ["wh-east"], "inventory_sync": True},
        }
        status, body = stack.api("POST", "/stores", store)
        assert status == 201, body
    shopify = ShopifyCatalogue()
    function: Any = stack.cloud.invoker.load("CatalogSyncFunction")  # type: ignore[attr-defined]
    function.transport = shopify
    stack.cloud.invoker.load("InventorySyncFunction").transport = shopify  # type: ignore[attr-defined]
    # A crashed push's lease (45 s) runs out before its page comes back (the queue's visibility
    # timeout, 30 minutes, in AWS; at once here): each push sees the clock a minute on.
    minutes = itertools.count(1)
    function.service.levels.clock = lambda: utcnow() + timedelta(minutes=next(minutes))
    baseline, _ = catalogue_life(world, shopify)
    assert baseline["status"] == "finished"
    assert baseline["counts"] == (2, 1, 1)
    assert baseline["channel_only"] == ["THEIRS"]
    assert baseline["applied"] == [(True, 4)]
    assert baseline["dlq"] == 0
    converged, per_function = converge(world, lambda: catalogue_life(world, shopify), PATH)
    print(f"{converged} crash points of a catalogue sync converged: {per_function}")
