"""BigCommerce on the local stack over HTTP, against the emulated BigCommerce API
(oms_local.channel_emulator): a callback from the documented samples, authenticated by its secret
header, brings order 250, which the intake reads from the store's API and confirms; the order
takes the last unit of a SKU, and inventory sync sets it to 0 on BigCommerce. A forged secret gets
401 and nothing happens."""

from __future__ import annotations

import copy

import pytest

from oms_local.runner import Running, wait_for
from oms_local.samples import bigcommerce_delivery, fixture
from tests.e2e.test_local_stack import post, status_of
from tests.replay import recorded

pytestmark = pytest.mark.e2e

STORE = "bc-local"
HASH = "bclocal01"
TOKEN = "bc_local_api_token_0123456789"


def test_a_bigcommerce_callback_is_read_confirmed_and_its_last_unit_synced_to_zero_and_a_forged_one_gets_401(
    local: Running,
) -> None:
    store = local.channels.bigcommerce(HASH, TOKEN)
    answers = {e["name"]: e["response"]["json"] for e in recorded("bigcommerce-order")["exchanges"]}
    store.place(
        {
            "order": copy.deepcopy(answers["Order"]),
            "products": copy.deepcopy(answers["OrderProducts"]),
            "shipping_addresses": copy.deepcopy(answers["OrderShippingAddresses"]),
        }
    )
    store.sell("S-ORAN")
    store.sell("ABS", tracking="product")
    code, body = local.request(
        "POST",
        "/stores",
        {
            "store_id": STORE,
            "channel": "bigcommerce",
            "name": "Local BigCommerce store",
            "store_hash": HASH,
            "api_credentials": {"access_token": TOKEN},
            "settings": {"inventory_sync": True, "location_priority": ["wh-east"]},
        },
    )
    assert code == 201, body
    secret = body["webhook_secret"]
    try:
        for sku, on_hand in (("S-ORAN", 1), ("ABS", 5)):
            count = {"locations": [{"location": "wh-east", "on_hand": on_hand}]}
            assert local.request("PUT", f"/stock/{sku}", count)[0] == 200
        assert wait_for(lambda: store.quantity("S-ORAN") == 1 and store.quantity("ABS") == 5, 60)

        created = fixture("bigcommerce/store-order-created.json")
        forged = bigcommerce_delivery(
            created, store_id=STORE, secret="forged-secret-0123456789abcdef", store_hash=HASH
        )
        code, body = post(local, forged)
        assert (code, body["code"]) == (401, "invalid_signature")

        code, body = post(
            local, bigcommerce_delivery(created, store_id=STORE, secret=secret, store_hash=HASH)
        )
        assert code == 202, body
        assert wait_for(lambda: status_of(local, f"{STORE}.250") in ("confirmed", "fulfilling"), 60)
        # The order took S-ORAN's last unit: BigCommerce is told it has none left.
        assert wait_for(lambda: store.quantity("S-ORAN") == 0 and store.quantity("ABS") == 4, 60)
    finally:
        local.request("PATCH", f"/stores/{STORE}", {"settings": {"inventory_sync": False}})
    assert [q for _, sku, q in store.changes if sku == "S-ORAN"] == [1, 0]
    # Read once in full (order, products, addresses): the forged callback read nothing.
    reads = [path for host, method, path in local.channels.requests if path.endswith("/v2/orders/250")]
    assert len(reads) == 1
