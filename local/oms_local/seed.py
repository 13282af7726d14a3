"""The demo data the local stack starts with: a store per channel, two warehouses, stock for the
SKUs in the fixtures. Registered through the admin API, like a merchant would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Development-only secrets, printed by `make run` and used to sign events/ samples.
SHOPIFY_STORE = {
    "store_id": "demo-shopify",
    "channel": "shopify",
    "name": "Demo Shopify shop",
    "webhook_secret": "demo-shopify-webhook-secret-not-for-production",
    "shop_domain": "demo-shop.myshopify.com",
    # Auto-fulfil with the sandbox carrier, and a zero-day return window, so that the demo shows an
    # order going all the way to delivered and completed with no staff step.
    "settings": {
        "location_priority": ["wh-east", "wh-west"],
        "return_window_days": 0,
        "auto_fulfil": True,
        "carrier": "sandbox",
        "sandbox_scenario": "delivered:3",
    },
}
WOO_STORE = {
    "store_id": "demo-woo",
    "channel": "woocommerce",
    "name": "Demo WooCommerce shop",
    "webhook_secret": "demo-woocommerce-webhook-secret-not-for-production",
    "site_url": "https://demo-woo.example.com",
    # Staff fulfil WooCommerce orders through the fulfilment API (pick, pack, label, ship).
    "settings": {"location_priority": ["wh-west", "wh-east"], "return_window_days": 30},
}
STORES = (SHOPIFY_STORE, WOO_STORE)

LOCATIONS = {
    "wh-east": {
        "name": "East warehouse (NJ)",
        "country_code": "US",
        "ships_to": ["US", "CA"],
        "address": {
            "company": "Demo Shop East",
            "line1": "100 Warehouse Way",
            "city": "Edison",
            "province_code": "NJ",
            "postal_code": "08817",
            "country_code": "US",
        },
    },
    "wh-west": {
        "name": "West warehouse (NV)",
        "country_code": "US",
        "ships_to": [],
        "address": {
            "company": "Demo Shop West",
            "line1": "200 Depot Road",
            "city": "Reno",
            "province_code": "NV",
            "postal_code": "89502",
            "country_code": "US",
        },
    },
}

# SKU -> on hand per location. IPOD2008BLACK is scarce on purpose (out-of-stock demo).
STOCK: dict[str, dict[str, int]] = {
    "IPOD2008GREEN": {"wh-east": 20, "wh-west": 5},
    "IPOD2008RED": {"wh-east": 20, "wh-west": 5},
    "IPOD2008BLACK": {"wh-east": 1},
    "IPOD2009BLACK": {"wh-east": 10, "wh-west": 10},
    "Bar3": {"wh-west": 30},
    "WOO-SINGLE": {"wh-west": 30},
}

Api = Callable[[str, str, dict[str, Any] | None], tuple[int, Any]]


def seed(api: Api) -> None:
    """``api(method, path, body) -> (status, json)`` calls the admin API."""
    for store in STORES:
        status, body = api("POST", "/stores", dict(store))
        if status not in (201, 409):
            raise RuntimeError(f"could not register {store['store_id']}: {status} {body}")
    for location_id, location in LOCATIONS.items():
        status, body = api("PUT", f"/locations/{location_id}", location)
        if status != 200:
            raise RuntimeError(f"could not create location {location_id}: {status} {body}")
    for sku, counts in STOCK.items():
        payload = {"locations": [{"location": loc, "on_hand": n} for loc, n in counts.items()]}
        status, body = api("PUT", f"/stock/{sku}", payload)
        if status != 200:
            raise RuntimeError(f"could not stock {sku}: {status} {body}")
