"""Catalogue sync on the local stack over HTTP, against the emulated stores' APIs: turning inventory
sync on for a Shopify shop, a WooCommerce site (with a variable product) and a BigCommerce store
reads each one's whole catalogue, sets every SKU we stock to our level at once (without waiting
for it to change), and reports the SKUs on one side only; a repush sets levels changed by hand on
the channel back to ours."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from oms_local.runner import Running, wait_for

pytestmark = pytest.mark.e2e

SHOP = "catalog-shop.myshopify.com"
SITE = "https://catalog-woo.example.com"
HASH = "catalogbc1"


def _catalog(local: Running, store_id: str) -> dict[str, Any]:
    code, body = local.request("GET", f"/stores/{store_id}/catalog-sync")
    assert code == 200, body
    return dict(body)


def _finished(local: Running, store_id: str) -> bool:
    return _catalog(local, store_id).get("status") == "finished"


def _our_sku_count(local: Running) -> int:
    total, cursor = 0, None
    while True:
        code, body = local.request("GET", "/stock?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        assert code == 200, body
        total += len(body["stock"])
        cursor = body.get("cursor")
        if not cursor:
            return total


def test_turning_inventory_sync_on_reads_each_catalogue_sets_every_level_and_reports_one_sided_skus(
    local: Running,
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    a, b, v, ours_only, theirs = (f"CAT-{tag}-{x}" for x in ("A", "B", "V", "D", "X"))
    shop = local.channels.shopify(SHOP, "shpat_local_catalog_token")
    site = local.channels.woocommerce(SITE, "ck_local_catalog_0123456789", "cs_local_catalog_0123456789")
    store = local.channels.bigcommerce(HASH, "bc_local_catalog_token_0123")
    for sku in (a, b, theirs):
        shop.sell(sku)
    site.sell(a)
    site.sell(v, parent_id=900)  # a variation of a variable product
    store.sell(a)
    store.sell(b, tracking="product")
    for sku, on_hand in ((a, 3), (b, 2), (v, 4), (ours_only, 1)):
        count = {"locations": [{"location": "wh-east", "on_hand": on_hand}]}
        assert local.request("PUT", f"/stock/{sku}", count)[0] == 200
    stores = [
        {
            "store_id": "catalog-shopify",
            "channel": "shopify",
            "name": "Catalogue shop",
            "webhook_secret": "catalog-shopify-webhook-secret",
            "shop_domain": SHOP,
            "api_credentials": {"access_token": "shpat_local_catalog_token"},
        },
        {
            "store_id": "catalog-woo",
            "channel": "woocommerce",
            "name": "Catalogue site",
            "site_url": SITE,
            "api_credentials": {
                "consumer_key": "ck_local_catalog_0123456789",
                "consumer_secret": "cs_local_catalog_0123456789",
            },
        },
        {
            "store_id": "catalog-bc",
            "channel": "bigcommerce",
            "name": "Catalogue store",
            "store_hash": HASH,
            "api_credentials": {"access_token": "bc_local_catalog_token_0123"},
        },
    ]
    for body in stores:
        code, answer = local.request("POST", "/stores", body)
        assert code == 201, answer
    # No sync yet: nothing reached the channels when the stock was counted.
    assert shop.quantity(a) is None
    assert site.quantity(a) is None
    try:
        for body in stores:
            code, answer = local.request(
                "PATCH", f"/stores/{body['store_id']}", {"settings": {"inventory_sync": True}}
            )
            assert code == 200, answer
        assert wait_for(lambda: all(_finished(local, s["store_id"]) for s in stores), 90)
        assert (shop.quantity(a), shop.quantity(b)) == (3, 2)
        assert (site.quantity(a), site.quantity(v)) == (3, 4)
        assert (store.quantity(a), store.quantity(b)) == (3, 2)

        total = _our_sku_count(local)
        shopify = _catalog(local, "catalog-shopify")
        assert (shopify["listed"], shopify["matched"], shopify["queued"]) == (3, 2, 2)
        assert (shopify["channel_only"], shopify["channel_only_skus"]) == (1, [theirs])
        assert shopify["ours_only"] == total - 2
        woo = _catalog(local, "catalog-woo")
        assert (woo["matched"], woo["ours_only"]) == (2, total - 2)
        assert (_catalog(local, "catalog-bc")["matched"]) == 2
        assert ours_only not in shopify["channel_only_skus"]

        # Someone sets a level by hand on Shopify; a repush sets it back to ours.
        shop.available[(shop.variants[a][1], shop.location_id)] = 99
        code, started = local.request("POST", "/stores/catalog-shopify/catalog-sync", {"repush": True})
        assert code == 202, started
        assert started["status"] == "running"
        assert wait_for(lambda: _finished(local, "catalog-shopify") and shop.quantity(a) == 3, 60)
    finally:
        for body in stores:
            local.request("PATCH", f"/stores/{body['store_id']}", {"settings": {"inventory_sync": False}})
    code, refused = local.request("POST", "/stores/demo-shopify/catalog-sync", {})
    assert (code, refused["code"]) == (409, "no_api_credentials")
