"""Returns on the local stack over HTTP (moto server, the scheduled tracking poller, the emulated
Shopify): a customer returns two items of a delivered order on the public page, the store approves
at once with a sandbox label, the poller follows the parcel back, staff count one item back on the
shelf and one damaged, and the refund on receipt is what the policy says and reaches Shopify once.
Also many returns of one line at the same moment never take back more than shipped."""

from __future__ import annotations

import threading
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from oms_local.channel_emulator import ShopifyShop
from oms_local.runner import Running, wait_for
from oms_local.samples import shopify_delivery, shopify_order
from tests.e2e.test_local_stack import post

pytestmark = pytest.mark.e2e

SHOP = "returns-local.myshopify.com"
TOKEN = "shpat_local_returns_token"
SECRET = "returns-local-webhook-secret"
STORE = "returns-local"


@pytest.fixture(scope="module")
def shop(local: Running) -> ShopifyShop:
    """The emulated shop (made once: asking the emulator again makes a new, empty one)."""
    made = local.channels.shopify(SHOP, TOKEN)
    body = {
        "store_id": STORE,
        "channel": "shopify",
        "name": "Returns shop",
        "webhook_secret": SECRET,
        "shop_domain": SHOP,
        "api_credentials": {"access_token": TOKEN},
        "settings": {
            "location_priority": ["wh-east"],
            "auto_fulfil": True,
            "carrier": "sandbox",
            "sandbox_scenario": "delivered:3",
            "push_fulfilment_to_channel": False,
            "return_window_days": 30,
        },
    }
    code, answer = local.request("POST", "/stores", body)
    assert code == 201, answer
    return made


def delivered_order(local: Running, shop: ShopifyShop, n: int, skus: dict[str, int]) -> str:
    for sku in skus:
        code, _ = local.request(
            "PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 10}]}
        )
        assert code == 200
    order = shopify_order(n, skus=skus)
    shop.place(order)
    assert post(local, shopify_delivery(order, store_id=STORE, secret=SECRET, shop_domain=SHOP))[0] == 202
    order_id = f"{STORE}.{n}"
    assert wait_for(lambda: local.request("GET", f"/orders/{order_id}")[1].get("status") == "delivered", 120)
    return order_id


def form(local: Running, fields: dict[str, str]) -> tuple[int, Any]:
    return local.request(
        "POST",
        "/returns/start",
        raw=urllib.parse.urlencode(fields).encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
        token="",
    )


def test_a_customer_return_goes_from_the_public_page_to_one_refund_on_shopify(
    local: Running, shop: ShopifyShop
) -> None:
    keep, broken = (f"RET-{uuid.uuid4().hex[:6].upper()}-{x}" for x in ("K", "B"))
    n = 93_000 + uuid.uuid4().int % 900
    order_id = delivered_order(local, shop, n, {keep: 1, broken: 1})
    _, order = local.request("GET", f"/orders/{order_id}")
    line = {x["sku"]: x["line_id"] for x in order["lines"]}
    on_hand = {sku: local.request("GET", f"/stock/{sku}")[1]["on_hand"] for sku in (keep, broken)}

    # The customer: their order number and email, then what to send back and why.
    code, found = form(local, {"order_number": f"#{n}", "email": "bob.norman@hostmail.com"})
    assert code == 200, found
    assert {x["line_id"]: x["returnable"] for x in found["lines"]} == {line[keep]: 1, line[broken]: 1}
    code, started = form(
        local,
        {
            "order_number": str(n),
            "email": "bob.norman@hostmail.com",
            "line_0": line[keep],
            "qty_0": "1",
            "reason_0": "size_or_fit",
            "line_1": line[broken],
            "qty_1": "1",
            "reason_1": "not_as_described",
        },
    )
    assert code == 201, started
    assert started["status"] == "approved"  # the store's policy approves it at once
    assert started["label_url"].startswith("https://sandbox-post.example/labels/")
    return_id = started["return_id"]
    assert (
        local.request("GET", started["page_path"], token="", headers={"accept": "application/json"})[0] == 200
    )

    # The return parcel, scanned by the scheduled poller: in transit, then arrived.
    def ret() -> dict[str, Any]:
        return dict(local.request("GET", f"/returns/{return_id}")[1])

    assert wait_for(lambda: ret()["status"] == "in_transit", 120)
    assert wait_for(lambda: ret().get("arrived_at") is not None, 120)

    # The warehouse: one back on the shelf, one damaged.
    code, received = local.request(
        "POST",
        f"/returns/{return_id}/receive",
        {
            "lines": [
                {"line_id": line[keep], "quantity": 1, "disposition": "restock"},
                {"line_id": line[broken], "quantity": 1, "disposition": "damaged"},
            ]
        },
    )
    assert code == 200, received
    assert received["status"] == "closed"
    refunded = Decimal(received["refunded"]["amount"])
    assert refunded == Decimal("398.00")  # both units as paid: neither reason keeps anything back

    def refund_settled() -> bool:
        refunds = local.request("GET", f"/orders/{order_id}")[1]["refunds"]
        return [r["status"] for r in refunds] == ["succeeded"]

    assert wait_for(refund_settled, 60)
    made = shop.orders[str(n)]["refunds"]
    assert [r["totalRefundedSet"]["shopMoney"]["amount"] for r in made] == ["398.00"]  # told once
    assert local.request("GET", f"/stock/{keep}")[1]["on_hand"] == on_hand[keep] + 1
    assert local.request("GET", f"/stock/{broken}")[1]["on_hand"] == on_hand[broken]
    _, order = local.request("GET", f"/orders/{order_id}")
    path = [t["to_status"] for t in order["timeline"] if t.get("from_status") != t["to_status"]]
    # Every unit is back: returned; the money follows once Shopify confirms (shipping and tax stay).
    assert path[path.index("delivered") :] == ["delivered", "returned", "partially_refunded"]
    assert [t["to_status"] for t in ret()["timeline"]] == [
        "requested",
        "approved",
        "in_transit",
        "in_transit",  # arrived
        "received",
        "refunded",
        "closed",
    ]


def test_returns_of_one_line_made_at_the_same_moment_never_take_back_more_than_shipped(
    local: Running, shop: ShopifyShop
) -> None:
    sku = f"RET-RACE-{uuid.uuid4().hex[:6].upper()}"
    n = 94_000 + uuid.uuid4().int % 900
    order_id = delivered_order(local, shop, n, {sku: 3})
    line_id = local.request("GET", f"/orders/{order_id}")[1]["lines"][0]["line_id"]
    start = threading.Barrier(8)

    def ask(i: int) -> tuple[int, Any]:
        start.wait()
        return local.request(
            "POST",
            f"/orders/{order_id}/returns",
            {"lines": [{"line_id": line_id, "quantity": 1, "reason": "changed_mind"}]},
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    made = [body for code, body in answers if code == 201]
    refused = [body["code"] for code, body in answers if code == 409]
    assert len(made) + len(refused) == 8, answers
    assert set(refused) <= {"quantity_exceeds_shipped", "concurrent_update"}, refused
    assert 1 <= len(made) <= 3
    _, order = local.request("GET", f"/orders/{order_id}")
    assert order["returned"] == {line_id: len(made)}
    _, listed = local.request("GET", f"/orders/{order_id}/returns")
    assert sorted(r["return_id"] for r in listed["returns"]) == sorted(r["return_id"] for r in made)
    print(f"{len(made)} returns made of 8 asked at once; refused: {sorted(refused)}")
