"""Inventory sync through the template's rule, queue and function: a change of a SKU's available
stock sets it on a syncing Shopify store (replayed GraphQL exchanges), once per stock version, with
listings kept next to the SKU's stock and outages retried from the queue."""

from __future__ import annotations

import re
from typing import Any

from tests.replay import Replay
from tests.stack import Stack, redelivered

URL = "https://sync-shop.myshopify.com/admin/api/2026-10/graphql.json"
ITEM = "gid://shopify/InventoryItem/808950810"
LOCATION = "gid://shopify/Location/655441491"


def graphql(name: str, variables: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "url": URL, "json": {"variables": variables}, "json_subset": True},
        "response": {"status": 200, "json": {"data": data}},
        "name": name,
    }


def lookup(sku: str) -> dict[str, Any]:
    node = {"id": "gid://shopify/ProductVariant/49148385", "sku": sku, "displayName": "IPod Nano - Black"}
    node["inventoryItem"] = {"id": ITEM, "tracked": True}
    return graphql("VariantBySku", {"query": f'sku:"{sku}"'}, {"productVariants": {"nodes": [node]}})


def set_to(quantity: int) -> dict[str, Any]:
    wanted = {
        "input": {
            "name": "available",
            "quantities": [
                {
                    "inventoryItemId": ITEM,
                    "locationId": LOCATION,
                    "quantity": quantity,
                    "changeFromQuantity": None,
                }
            ],
        }
    }
    return graphql("SetAvailable", wanted, {"inventorySetQuantities": {"userErrors": []}})


FIRST_LOCATION = graphql("FirstLocation", {}, {"locations": {"nodes": [{"id": LOCATION, "name": "Main"}]}})


def syncing_shop(stack: Stack, replay: Replay) -> None:
    stack.cloud.drain()  # the demo's stock, counted before this store existed
    status, body = stack.api(
        "POST",
        "/stores",
        {
            "store_id": "sync-shop",
            "channel": "shopify",
            "name": "Sync shop",
            "webhook_secret": "sync-shop-webhook-secret",
            "shop_domain": "sync-shop.myshopify.com",
            "api_credentials": {"access_token": "shpat_sync_token"},
            "settings": {"inventory_sync": True, "stock_buffer": 1},
        },
    )
    assert status == 201, body
    stack.cloud.invoker.load("InventorySyncFunction").transport = replay  # type: ignore[attr-defined]


def count(stack: Stack, sku: str, on_hand: int) -> None:
    status, body = stack.api(
        "PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": on_hand}]}
    )
    assert status == 200, body


def test_a_change_of_available_stock_is_set_on_the_syncing_store_once_per_version(full_shop: Stack) -> None:
    replay = Replay([lookup("IPOD2009BLACK"), FIRST_LOCATION, set_to(13)])
    replay.fail_at = {2: 503}  # Shopify is down for the first push: retried from the queue
    syncing_shop(full_shop, replay)
    count(full_shop, "IPOD2009BLACK", 4)  # 4 at east + 10 at west, less the store's buffer of 1
    full_shop.cloud.drain()
    assert replay.done()
    assert full_shop.queue_depth("InventorySyncQueue") == 0
    assert full_shop.queue_depth("InventorySyncDLQ") == 0

    # The same event delivered again: that version is on Shopify already, nothing is sent.
    (changed,) = [
        e for e in full_shop.events.of_type("StockAvailableChanged") if e["detail"]["available"] == 14
    ]
    sent = len(replay.sent)
    result = full_shop.cloud.invoker.invoke("InventorySyncFunction", redelivered(changed))
    assert result.ok
    assert result.value == {"batchItemFailures": []}
    assert len(replay.sent) == sent

    # The next change: the listing knows the SKU's inventory item, only the level is set.
    replay.exchanges.append(set_to(10))
    count(full_shop, "IPOD2009BLACK", 1)
    full_shop.cloud.drain()
    assert replay.done()
    assert [re.search(r"(?:query|mutation) (\w+)", r["json"]["query"])[1] for r in replay.sent] == [
        "VariantBySku",
        "FirstLocation",
        "SetAvailable",
        "SetAvailable",
        "SetAvailable",
    ]


def test_stock_for_a_sku_the_store_does_not_sell_is_not_pushed_and_not_looked_up_again(
    full_shop: Stack,
) -> None:
    empty = graphql("VariantBySku", {"query": 'sku:"Bar3"'}, {"productVariants": {"nodes": []}})
    replay = Replay([empty])
    syncing_shop(full_shop, replay)
    count(full_shop, "Bar3", 5)
    full_shop.cloud.drain()
    count(full_shop, "Bar3", 6)
    full_shop.cloud.drain()
    assert replay.done()
    assert len(replay.sent) == 1


def test_a_push_shopify_refuses_is_shown_as_the_stores_last_stock_sync_problem(
    full_shop: Stack,
) -> None:
    refused = set_to(9)  # 0 at east + 10 at west, less the store's buffer of 1
    refused["response"]["json"]["data"]["inventorySetQuantities"]["userErrors"] = [
        {"field": ["input"], "message": "The item is not stocked at the location.", "code": "NOT_STOCKED"}
    ]
    replay = Replay([lookup("IPOD2009BLACK"), FIRST_LOCATION, refused])
    syncing_shop(full_shop, replay)
    status, health = full_shop.api("GET", "/stores/sync-shop/stock-sync")
    assert (status, health["syncs"], health["last_problem"]) == (200, True, None)

    count(full_shop, "IPOD2009BLACK", 0)
    full_shop.cloud.drain()
    assert replay.done()
    _, health = full_shop.api("GET", "/stores/sync-shop/stock-sync")
    problem = health["last_problem"]
    assert problem["sku"] == "IPOD2009BLACK"
    assert problem["problem"] == "Shopify refused it: NOT_STOCKED"
    assert full_shop.queue_depth("InventorySyncDLQ") == 0  # a refusal is recorded, not retried
    assert full_shop.api("GET", "/stores/demo-shopify/stock-sync")[1] == {
        "store_id": "demo-shopify",
        "syncs": False,
        "last_problem": None,
    }
    assert full_shop.api("GET", "/stores/no-such-store/stock-sync")[0] == 404
