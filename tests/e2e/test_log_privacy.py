"""Every log line the local stack's functions write while orders from the real fixtures go from
webhook to completed (and one is shipped by staff): no customer email, phone number, name or
street address, and no secret, appears in any of them. The test makes the run it scans, so it
needs no other test to have run first."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from oms_local.runner import Running, wait_for
from oms_local.samples import fixture, shopify_delivery, woocommerce_delivery
from oms_local.seed import SHOPIFY_STORE, STORES, WOO_STORE
from tests.e2e.conftest import Captured

pytestmark = pytest.mark.e2e
PII_KEYS = {
    "email",
    "contact_email",
    "phone",
    "first_name",
    "last_name",
    "address1",
    "address2",
    "address_1",
    "address_2",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w.:-])(\+?1[ -]?)?\(?\d{3}\)?[ -]\d{3}-\d{4}(?![\w-])|\+\d{10,14}(?!\d)")


def personal_values() -> set[str]:
    found: set[str] = set()

    def walk(value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in PII_KEYS and len(value) > 2:
            found.add(value)

    for name in ("shopify/orders-create.json", "shopify/orders-create-recent.json", "woocommerce/order.json"):
        walk(fixture(name))
    return found


def _status(local: Running, order_id: str) -> str | None:
    code, body = local.request("GET", f"/orders/{order_id}")
    return body.get("status") if code == 200 else None


def _life(local: Running) -> None:
    """The fixtures' orders through every function: two Shopify orders auto-fulfilled, tracked and
    completed by the schedules; the WooCommerce order shipped by staff."""
    shopify_secret, woo_secret = str(SHOPIFY_STORE["webhook_secret"]), str(WOO_STORE["webhook_secret"])
    # Stock of its own for every line it sends, whatever earlier tests on this stack took.
    for name in ("shopify/orders-create.json", "shopify/orders-create-recent.json", "woocommerce/order.json"):
        for line in fixture(name)["line_items"]:
            if line.get("sku"):
                _, level = local.request("GET", f"/stock/{line['sku']}")
                east = next((x for x in level.get("locations", []) if x["location"] == "wh-east"), None)
                on_hand = (east["on_hand"] if east else 0) + 10
                body = {"locations": [{"location": "wh-east", "on_hand": on_hand}]}
                assert local.request("PUT", f"/stock/{line['sku']}", body)[0] == 200
    ids = []
    for n, name in ((990001, "shopify/orders-create.json"), (990002, "shopify/orders-create-recent.json")):
        payload = fixture(name) | {"id": n, "financial_status": "paid"}
        delivery = shopify_delivery(payload, store_id="demo-shopify", secret=shopify_secret)
        assert (
            local.request("POST", delivery.path, raw=delivery.body, headers=delivery.headers, token="")[0]
            == 202
        )
        ids.append(f"demo-shopify.{n}")
    woo = fixture("woocommerce/order.json")
    woo["line_items"] = [woo["line_items"][1]]  # the line with a SKU (the other is held unknown_sku)
    woo["id"] = 990003
    delivery = woocommerce_delivery(woo, store_id="demo-woo", secret=woo_secret)
    assert (
        local.request("POST", delivery.path, raw=delivery.body, headers=delivery.headers, token="")[0] == 202
    )
    assert wait_for(lambda: _status(local, "demo-woo.990003") == "fulfilling", 120)
    _, body = local.request("GET", "/orders/demo-woo.990003/shipments")
    sid = body["shipments"][0]["shipment_id"]
    for step in ("pack", "label", "ship"):
        assert local.request("POST", f"/shipments/{sid}/{step}", {})[0] in (200, 201)
    assert local.request("GET", f"/shipments/{sid}/packing-slip")[0] == 200
    for order_id in ids:
        assert wait_for(lambda oid=order_id: _status(local, oid) == "completed", 150, interval=0.5)


def test_no_personal_data_or_secret_in_any_log_line(local: Running, logs: Captured) -> None:
    start = len(logs.lines)
    _life(local)
    run = logs.lines[start:]
    lines = [line for _, line in run]
    functions = {function.split("#")[0] for function, _ in run}  # "Intake#2": a second worker
    # The run this scans: every step of an order's life wrote logs.
    assert {"Webhook", "Intake", "Publisher", "Notifier", "Fulfilment", "ChannelSync"} <= functions
    assert {"TrackingPoller", "OrderCompleter", "FulfilmentApi"} <= functions
    assert any("demo-shopify.990001" in line for line in lines)
    secrets = {str(s["webhook_secret"]) for s in STORES} | {local.admin_token}
    # The scan finds what it looks for (a planted line of each kind).
    planted = [
        ("x", '{"customer": "bob.norman@hostmail.com"}'),
        ("x", '{"ship_to": "Chestnut Street 92"}'),
        ("x", '{"note": "call (555) 555-5555"}'),
        ("x", f'{{"secret": "{sorted(secrets)[0]}"}}'),
    ]
    assert len(leaks_in(planted, secrets)) == len(planted)
    leaks = leaks_in(run, secrets)
    assert not leaks, json.dumps(leaks[:10], indent=1)


def leaks_in(lines: list[tuple[str, str]], secrets: set[str]) -> list[tuple[str, str, str]]:
    leaks = []
    values = personal_values() | secrets
    for function, line in lines:
        found = [v for v in values if re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", line)]
        found += [m.group(0) for p in (EMAIL, PHONE) if (m := p.search(line)) and not _ours(m.group(0))]
        if found:
            leaks.append((function, found[0], line[:200]))
    return leaks


def _ours(text: str) -> bool:
    """Addresses of the deployment itself (sender, alerts), not of customers."""
    return text.endswith("@demo-shop.example")
