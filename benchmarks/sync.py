"""Inventory sync latency on the local stack: WooCommerce orders take stock of SKUs that a Shopify
shop, the WooCommerce site and a BigCommerce store all sell; measured is the time from each
order's webhook to the new level on each store's (emulated) API, and the channel calls made per
synced change. The stores answer at once, so this is the OMS's own path: webhook, intake,
reservation, the stock event, the sync queue and its batching window. Orders arrive one every
``gap`` seconds: a burst would measure the local stack's throughput (moto answers one request at a
time), not the path's latency."""

from __future__ import annotations

import io
import statistics
import time
from typing import Any

from oms_local.logs import LogPrinter
from oms_local.runner import start, wait_for
from oms_local.samples import woocommerce_delivery, woocommerce_order

SHOP, SITE, BC_HASH = "bench-sync.myshopify.com", "https://bench-sync.example.com", "benchsync1"
BC_TOKEN = "bc_bench_sync_token_0123"  # noqa: S105 - the emulated store's, local only
SHOPIFY_TOKEN = "shpat_bench_sync_token"  # noqa: S105 - the emulated shop's, local only
WOO_KEY, WOO_SECRET, WEBHOOK_SECRET = (
    "ck_bench_sync_0123456789",
    "cs_bench_sync_0123456789",
    "bench-sync-webhook-secret",
)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def measure(skus: int = 40, gap: float = 0.5) -> dict[str, Any]:
    running = start(port=0, printer=LogPrinter(stream=io.StringIO()), paused=("FulfilmentFunction",))
    try:
        shop = running.channels.shopify(SHOP, SHOPIFY_TOKEN)
        site = running.channels.woocommerce(SITE, WOO_KEY, WOO_SECRET)
        bigcommerce = running.channels.bigcommerce(BC_HASH, BC_TOKEN)
        names = [f"BENCH-SYNC-{i:03d}" for i in range(skus)]
        for sku in names:
            shop.sell(sku)
            site.sell(sku)
            bigcommerce.sell(sku)
        stores = [
            {
                "store_id": "bench-sync-shopify",
                "channel": "shopify",
                "name": "Bench Shopify",
                "webhook_secret": "bench-sync-shopify-hook",
                "shop_domain": SHOP,
                "api_credentials": {"access_token": SHOPIFY_TOKEN},
                "settings": {"inventory_sync": True},
            },
            {
                "store_id": "bench-sync-woo",
                "channel": "woocommerce",
                "name": "Bench WooCommerce",
                "webhook_secret": WEBHOOK_SECRET,
                "site_url": SITE,
                "api_credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET},
                "settings": {"inventory_sync": True},
            },
            {
                "store_id": "bench-sync-bigcommerce",
                "channel": "bigcommerce",
                "name": "Bench BigCommerce",
                "store_hash": BC_HASH,
                "api_credentials": {"access_token": BC_TOKEN},
                "settings": {"inventory_sync": True},
            },
        ]
        for store in stores:
            status, body = running.request("POST", "/stores", store)
            if status != 201:
                raise RuntimeError(f"store not registered: {body}")
        for sku in names:
            count = {"locations": [{"location": "wh-east", "on_hand": 3}]}
            if running.request("PUT", f"/stock/{sku}", count)[0] != 200:
                raise RuntimeError("stock not counted")

        def levels(n: int) -> bool:
            return all(
                shop.quantity(s) == n and site.quantity(s) == n and bigcommerce.quantity(s) == n
                for s in names
            )

        if not wait_for(lambda: levels(3), 120):
            raise RuntimeError("first levels never reached the stores")
        calls_before = len(running.channels.requests)

        sent: dict[str, float] = {}
        for i, sku in enumerate(names):
            order = woocommerce_order(95_000 + i, skus={sku: 1})
            delivery = woocommerce_delivery(
                order, store_id="bench-sync-woo", secret=WEBHOOK_SECRET, site_url=SITE
            )
            sent[sku] = time.time()
            status, _ = running.request(
                "POST", delivery.path, raw=delivery.body, headers=delivery.headers, token=""
            )
            if status != 202:
                raise RuntimeError(f"webhook answered {status}")
            time.sleep(gap)  # orders as a busy shop takes them, not one burst queued behind itself
        reached = wait_for(lambda: levels(2), 180)
        calls = len(running.channels.requests) - calls_before
        result: dict[str, Any] = {"skus": skus, "all_reached": reached, "channel_calls": calls}
        for name, changes in (
            ("shopify", shop.changes),
            ("woocommerce", site.changes),
            ("bigcommerce", bigcommerce.changes),
        ):
            latency = [at - sent[sku] for at, sku, q in changes if q == 2]
            result[name] = {
                "p50_s": round(statistics.median(latency), 2),
                "p99_s": round(_percentile(latency, 0.99), 2),
                "changes": len(latency),
            }
        result["note"] = f"local stack on moto; stores answer at once; one order per SKU, one every {gap} s"
        return result
    finally:
        running.close()
