"""Inventory sync on the local stack, against the emulated stores' APIs (oms_local.channel_emulator):
a WooCommerce order that takes a SKU's last unit sets it to 0 on Shopify and on WooCommerce, also
through throttling, an outage and a slow answer; the
time from the order's webhook to each store's change is printed (median and slowest over several SKUs)."""

from __future__ import annotations

import statistics
import time
import uuid

import pytest

from oms_local.channel_emulator import Fault
from oms_local.runner import Running, wait_for
from oms_local.samples import woocommerce_delivery, woocommerce_order
from tests.e2e.test_local_stack import post

pytestmark = pytest.mark.e2e

SHOP = "sync-shop.myshopify.com"
SITE = "https://sync-woo.example.com"
WOO_SECRET = "sync-woo-webhook-secret"


def test_a_woocommerce_order_that_takes_the_last_unit_sets_the_sku_to_zero_on_shopify_and_woocommerce(
    local: Running,
) -> None:
    shop = local.channels.shopify(SHOP, "shpat_local_sync_token")
    site = local.channels.woocommerce(SITE, "ck_local_sync_0123456789", "cs_local_sync_0123456789")
    skus = [f"SYNC-{uuid.uuid4().hex[:6].upper()}-{i}" for i in range(5)]
    for sku in skus:
        shop.sell(sku)
        site.sell(sku)
    stores = [
        {
            "store_id": "sync-shopify",
            "channel": "shopify",
            "name": "Synced Shopify shop",
            "webhook_secret": "sync-shopify-webhook-secret",
            "shop_domain": SHOP,
            "api_credentials": {"access_token": "shpat_local_sync_token"},
            "settings": {"inventory_sync": True, "reconcile_every_minutes": 0},
        },
        {
            "store_id": "sync-woo",
            "channel": "woocommerce",
            "name": "Synced WooCommerce shop",
            "webhook_secret": WOO_SECRET,
            "site_url": SITE,
            "api_credentials": {
                "consumer_key": "ck_local_sync_0123456789",
                "consumer_secret": "cs_local_sync_0123456789",
            },
            "settings": {
                "inventory_sync": True,
                "reconcile_every_minutes": 0,
                "location_priority": ["wh-east"],
            },
        },
    ]
    for store in stores:
        code, body = local.request("POST", "/stores", store)
        assert code == 201, body
    try:
        for sku in skus:
            count = {"locations": [{"location": "wh-east", "on_hand": 1}]}
            assert local.request("PUT", f"/stock/{sku}", count)[0] == 200
        assert wait_for(lambda: all(shop.quantity(s) == 1 and site.quantity(s) == 1 for s in skus), 60)

        # The stores answer badly for a while: Shopify throttles then is down, WooCommerce fails.
        local.channels.fail_next(SHOP, Fault(throttled=True), Fault(status=503, retry_after=1))
        local.channels.fail_next("sync-woo.example.com", Fault(status=500), Fault(delay=1.5))
        sent: dict[str, float] = {}
        for i, sku in enumerate(skus):
            order = woocommerce_order(91_000 + i, skus={sku: 1})
            delivery = woocommerce_delivery(order, store_id="sync-woo", secret=WOO_SECRET, site_url=SITE)
            sent[sku] = time.time()
            assert post(local, delivery)[0] == 202
        assert wait_for(lambda: all(shop.quantity(s) == 0 and site.quantity(s) == 0 for s in skus), 60)
        assert not local.channels.faults[SHOP]
        assert not local.channels.faults["sync-woo.example.com"]
    finally:
        for store in stores:
            local.request("PATCH", f"/stores/{store['store_id']}", {"settings": {"inventory_sync": False}})

    # Each level set once per change: 1 then 0, never a stale level after a newer one.
    assert {sku: [q for _, s, q in shop.changes if s == sku] for sku in skus} == {s: [1, 0] for s in skus}
    assert {sku: [q for _, s, q in site.changes if s == sku] for sku in skus} == {s: [1, 0] for s in skus}
    for name, changes in (("Shopify", shop.changes), ("WooCommerce", site.changes)):
        latency = sorted(at - sent[sku] for at, sku, q in changes if q == 0)
        p50, slowest = statistics.median(latency), latency[-1]
        print(f"stock change to {name}: median {p50:.2f} s, slowest {slowest:.2f} s over {len(latency)} SKUs")
