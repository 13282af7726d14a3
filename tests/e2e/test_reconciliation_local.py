"""Reconciliation on the local stack, against the emulated Shopify (oms_local.channel_emulator): of
two orders placed on the shop, one webhook is lost; the next reconciliation finds that order in the
shop's changed orders, and it is confirmed once, also when reconciled again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from oms_local.runner import Running, wait_for
from oms_local.samples import shopify_delivery, shopify_order
from tests.e2e.test_local_stack import post

pytestmark = pytest.mark.e2e

SHOP = "recon-local.myshopify.com"
TOKEN = "shpat_local_recon_token"
SECRET = "recon-local-webhook-secret"


def _confirmations(local: Running, order_id: str) -> int:
    status, order = local.request("GET", f"/orders/{order_id}")
    assert status == 200, order
    return sum(1 for t in order["timeline"] if t["to_status"] == "confirmed")


def test_a_shopify_order_whose_webhook_was_lost_is_found_by_the_next_reconciliation_and_confirmed_once(
    local: Running,
) -> None:
    shop = local.channels.shopify(SHOP, TOKEN)
    store = {
        "store_id": "recon-local",
        "channel": "shopify",
        "name": "Reconciled shop",
        "webhook_secret": SECRET,
        "shop_domain": SHOP,
        "api_credentials": {"access_token": TOKEN},
        "settings": {"location_priority": ["wh-east"], "reconcile_every_minutes": 0},
    }
    code, body = local.request("POST", "/stores", store)
    assert code == 201, body
    sku = f"RECON-{uuid.uuid4().hex[:6].upper()}"
    assert (
        local.request("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 5}]})[0]
        == 200
    )
    now = datetime.now(UTC).replace(microsecond=0)
    delivered, lost = (
        shopify_order(n, skus={sku: 1}, updated_at=(now - timedelta(minutes=m)).isoformat())
        for n, m in ((92_001, 5), (92_002, 4))
    )
    for order in (delivered, lost):
        shop.place(order)
    delivery = shopify_delivery(delivered, store_id="recon-local", secret=SECRET, shop_domain=SHOP)
    assert post(local, delivery)[0] == 202  # the other order's webhook never arrives
    assert wait_for(lambda: local.request("GET", "/orders/recon-local.92001")[0] == 200, 60)
    assert local.request("GET", "/orders/recon-local.92002")[0] == 404

    since = (now - timedelta(hours=1)).isoformat()
    code, run = local.request("POST", "/stores/recon-local/reconcile", {"since": since})
    assert code == 202, run

    def reconciled(until: str) -> bool:
        return local.request("GET", "/stores/recon-local/reconciliation")[1].get("last_until") == until

    assert wait_for(lambda: reconciled(run["until"]), 60)
    assert wait_for(lambda: local.request("GET", "/orders/recon-local.92002")[0] == 200, 60)
    assert wait_for(lambda: _confirmations(local, "recon-local.92002") == 1, 60)
    _, record = local.request("GET", "/stores/recon-local/reconciliation")
    assert record["last_listed"] == 2
    assert record["last_stale"] == 0
    assert record["last_error"] is None

    # Reconciled again (a message may also be delivered twice): still confirmed once each.
    code, again = local.request("POST", "/stores/recon-local/reconcile", {"since": since})
    assert code == 202, again
    assert wait_for(lambda: reconciled(again["until"]), 60)
    _, record = local.request("GET", "/stores/recon-local/reconciliation")
    assert (record["last_listed"], record["last_missing"], record["last_stale"]) == (2, 0, 0)
    assert _confirmations(local, "recon-local.92002") == 1
    assert _confirmations(local, "recon-local.92001") == 1
