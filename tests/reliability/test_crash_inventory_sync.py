"""A crash at every AWS call of a stock count synced to Shopify (the stock API, the publisher, the
inventory sync) ends where the uncrashed run ends: Shopify shows the SKU's new available stock,
each stock version is set there once (an adjustment repeated after a crash is answered from its
``@idempotent`` key, not made again), and the listing records the version now on the channel.
Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import pytest

from oms.integrations.http_transport import HttpError, HttpResponse
from oms.timeutil import utcnow
from tests.reliability.test_crash_after_sale import converge
from tests.reliability.test_crash_every_step import SECRET, World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

PATH = ("StockApiFunction", "PublisherFunction", "InventorySyncFunction")
SHOP = "crash-stock"
LOCATION = "655441491"


class ShopifyStock:
    """Shopify's inventory as the GraphQL Admin documentation describes it: variants found by SKU
    with their tracked inventory item, ``available`` quantities per item and location set by
    ``inventorySetQuantities``, and the ``@idempotent`` key that makes a repeated mutation return
    the first one's answer without applying it again. Every applied change is remembered."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}  # sku -> inventory item id
        self.available: dict[tuple[str, str], int] = {}
        self.applied: dict[str, list[int]] = {}  # sku -> every quantity set, in order
        self.answers: dict[str, dict[str, Any]] = {}
        self.lose_answer = False  # once: the mutation is applied and its answer lost on the way

    def sell(self, sku: str) -> None:
        self.items[sku] = str(40_000 + len(self.items))

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert url == f"https://{SHOP}.myshopify.com/admin/api/2026-10/graphql.json", url
        assert headers["x-shopify-access-token"] == "shpat_crash_stock_token"
        sent = json.loads(body or b"{}")
        name = sent["query"].split("(")[0].split()[-1]
        data = getattr(self, name)(sent["variables"])
        return HttpResponse(200, json.dumps({"data": data}).encode())

    def VariantBySku(self, v: dict[str, Any]) -> dict[str, Any]:
        sku = v["query"].split('"')[1]
        nodes = []
        if sku in self.items:
            item = {"id": f"gid://shopify/InventoryItem/{self.items[sku]}", "tracked": True}
            variant = f"gid://shopify/ProductVariant/{self.items[sku]}1"
            nodes.append({"id": variant, "sku": sku, "inventoryItem": item})
        return {"productVariants": {"nodes": nodes}}

    def SetAvailable(self, v: dict[str, Any]) -> dict[str, Any]:
        key = v["key"]
        if key not in self.answers:
            by_item = {item: sku for sku, item in self.items.items()}
            changes = []
            for q in v["input"]["quantities"]:
                item, location = q["inventoryItemId"].rsplit("/", 1)[1], q["locationId"].rsplit("/", 1)[1]
                assert location == LOCATION, q
                assert q["changeFromQuantity"] is None, q
                before = self.available.get((item, location), 0)
                self.available[(item, location)] = q["quantity"]
                self.applied.setdefault(by_item[item], []).append(q["quantity"])
                delta = q["quantity"] - before
                changes.append({"name": "available", "delta": delta, "quantityAfterChange": None})
            group = {"reason": "correction", "changes": changes}
            answer = {"inventoryAdjustmentGroup": group, "userErrors": []}
            self.answers[key] = {"inventorySetQuantities": answer}
            if self.lose_answer:
                self.lose_answer = False
                raise HttpError("POST graphql.json failed: TimeoutError", retryable=True)
        return self.answers[key]


def stock_life(
    world: World, shopify: ShopifyStock, *, lose: bool = False
) -> tuple[dict[str, Any], list[Any]]:
    """A SKU Shopify sells, stocked and synced; then staff count it again and the new level is
    synced (``lose``: Shopify applies it and its answer is lost on the way)."""
    world.n += 1
    stack = world.stack
    with world.paused():
        sku = stack.new_sku("CRASH-INV", wh_east=5)
        shopify.sell(sku)
        for _ in range(4):
            stack.cloud.drain()
    shopify.lose_answer = lose
    first = len(world.recorder.calls)
    with world.recorder.recording():
        count = {"locations": [{"location": "wh-east", "on_hand": 3}]}
        for _ in range(3):  # staff (or their script) retry until the count is taken
            if stack.api("PUT", f"/stock/{sku}", count)[0] == 200:
                break
        for _ in range(6):
            stack.cloud.drain()
    calls = world.recorder.calls[first:]
    with world.paused():
        ddb, table = stack.cloud.clients["dynamodb"], stack.cloud.ref("OmsTable")
        pk = {"S": f"SKU#{sku}"}
        total = ddb.get_item(TableName=table, Key={"PK": pk, "SK": {"S": "TOTAL"}})["Item"]
        listing = ddb.get_item(TableName=table, Key={"PK": pk, "SK": {"S": f"LISTING#{SHOP}"}})
    item = shopify.items[sku]
    state = {
        "on_shopify": shopify.available[(item, LOCATION)],
        "applied": shopify.applied[sku],
        "stock": {key.replace(sku, "sku"): level for key, level in world.levels([sku]).items()},
        "pushed_is_current": listing["Item"]["pushed_version"]["N"] == total["stock_version"]["N"],
        "leased": "lease_until" in listing["Item"],
    }
    return state, calls


def test_a_crash_at_any_call_of_a_stock_count_synced_to_shopify_sets_it_there_once(world: World) -> None:
    stack = world.stack
    with world.paused():
        store = {
            "store_id": SHOP,
            "channel": "shopify",
            "name": "Crash stock",
            "webhook_secret": SECRET,
            "shop_domain": f"{SHOP}.myshopify.com",
            "api_credentials": {"access_token": "shpat_crash_stock_token"},
            "settings": {"inventory_sync": True, "shopify_location_id": LOCATION},
        }
        status, body = stack.api("POST", "/stores", store)
        assert status == 201, body
    shopify = ShopifyStock()
    function: Any = stack.cloud.invoker.load("InventorySyncFunction")  # type: ignore[attr-defined]
    function.transport = shopify
    # A crashed push's lease runs out before its redelivery: each sync sees the clock a minute on.
    minutes = itertools.count(1)
    function.service.clock = lambda: utcnow() + timedelta(minutes=next(minutes))
    try:
        baseline, _ = stock_life(world, shopify)
        assert baseline["on_shopify"] == 3
        assert baseline["applied"] == [5, 3]
        assert baseline["pushed_is_current"]
        assert not baseline["leased"]
        converged, per_function = converge(world, lambda: stock_life(world, shopify), PATH)
        lost, _ = stock_life(world, shopify, lose=True)  # asked again under its key, not made twice
        assert not shopify.lose_answer
        assert lost == baseline
    finally:
        with world.paused():
            stack.api("PATCH", f"/stores/{SHOP}", {"settings": {"inventory_sync": False}})
    print(f"{converged} crash points of a stock count synced to Shopify converged: {per_function}")
