"""Orders of hundreds of lines (wholesale, B2B): more stock moves than one DynamoDB transaction
holds. Reserved, allocated, shipped, cancelled and refunded through the channel exactly once,
with no error and nothing left locked (oms.data.staged_commit)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oms_local.samples import shopify_delivery, shopify_order, woocommerce_delivery, woocommerce_order
from oms_local.seed import WOO_STORE
from tests.stack import Stack

SECRET = "big-orders-webhook-secret"
SHOPIFY_STORE = "big-shop"


@pytest.fixture(scope="module")
def big(shared_shop: Stack) -> Stack:
    status, body = shared_shop.api(
        "POST",
        "/stores",
        {
            "store_id": SHOPIFY_STORE,
            "channel": "shopify",
            "name": "Wholesale",
            "webhook_secret": SECRET,
            "shop_domain": f"{SHOPIFY_STORE}.myshopify.com",
            "settings": {"location_priority": ["wh-east", "wh-west"]},
        },
    )
    assert status == 201, body
    return shared_shop


def stock(shop: Stack, prefix: str, n: int) -> list[str]:
    """n SKUs: most at wh-east, every seventh only at wh-west (so the order needs two shipments)."""
    skus = [f"{prefix}-{i:04d}" for i in range(n)]
    for i, sku in enumerate(skus):
        shop.set_stock(sku, **({"wh_west": 3} if i % 7 == 0 else {"wh_east": 3}))
    return skus


def levels(shop: Stack, skus: list[str]) -> dict[str, set[tuple[int, int, int]]]:
    """Per stock item (TOTAL, LOC#...), the distinct (on_hand, reserved, available) of the SKUs."""
    ddb, table = shop.cloud.clients["dynamodb"], shop.cloud.ref("OmsTable")
    keys = [
        {"PK": {"S": f"SKU#{s}"}, "SK": {"S": sk}}
        for s in skus
        for sk in ("TOTAL", "LOC#wh-east", "LOC#wh-west")
    ]
    out: dict[str, set[tuple[int, int, int]]] = {}
    for start in range(0, len(keys), 100):
        found = ddb.batch_get_item(RequestItems={table: {"Keys": keys[start : start + 100]}})["Responses"][
            table
        ]
        for item in found:
            value = (int(item["on_hand"]["N"]), int(item["reserved"]["N"]), int(item["available"]["N"]))
            out.setdefault(item["SK"]["S"], set()).add(value)
    return out


def staged_left(shop: Stack) -> list[dict[str, Any]]:
    """Staged changes not finished (the sweep's index)."""
    ddb = shop.cloud.clients["dynamodb"]
    return list(
        ddb.query(
            TableName=shop.cloud.ref("OmsTable"),
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :ops",
            ExpressionAttributeValues={":ops": {"S": "OPS"}},
        )["Items"]
    )


class Channel:
    def __init__(self, shop: Stack, name: str, woo_secret: str) -> None:
        self.shop, self.name, self.woo_secret = shop, name, woo_secret
        self.store = SHOPIFY_STORE if name == "shopify" else str(WOO_STORE["store_id"])

    def place(self, n: int, skus: list[str]) -> tuple[str, dict[str, Any]]:
        lines = dict.fromkeys(skus, 1)
        if self.name == "shopify":
            payload = shopify_order(n, skus=lines, updated_at="2026-06-01T10:00:00Z")
        else:
            payload = woocommerce_order(n, skus=lines, modified_gmt="2026-06-01T10:00:00")
        self.send(payload, "create")
        return f"{self.store}.{n}", payload

    def cancel(self, payload: dict[str, Any]) -> None:
        changed = copy.deepcopy(payload)
        if self.name == "shopify":
            changed.update(
                cancelled_at="2026-06-01T11:00:00Z",
                updated_at="2026-06-01T11:00:00Z",
                cancel_reason="customer",
            )
            self.send(changed, "cancelled")
        else:
            changed.update(status="cancelled", date_modified_gmt="2026-06-01T11:00:00")
            self.send(changed, "updated")

    def refund(self, payload: dict[str, Any]) -> None:
        changed = copy.deepcopy(payload)
        if self.name == "shopify":
            changed.update(financial_status="refunded", updated_at="2026-06-01T11:00:00Z")
        else:
            changed.update(status="refunded", date_modified_gmt="2026-06-01T11:00:00")
        self.send(changed, "updated")

    def send(self, payload: dict[str, Any], what: str) -> None:
        if self.name == "shopify":
            topic = {"create": "orders/create", "updated": "orders/updated", "cancelled": "orders/cancelled"}[
                what
            ]
            delivery = shopify_delivery(
                payload,
                store_id=self.store,
                secret=SECRET,
                shop_domain=f"{self.store}.myshopify.com",
                topic=topic,
            )
        else:
            topic = {"create": "order.created", "updated": "order.updated"}[what]
            delivery = woocommerce_delivery(payload, store_id=self.store, secret=self.woo_secret, topic=topic)
        status, body = self.shop.deliver(delivery)
        assert status == 202, body


def ok(shop: Stack, method: str, path: str, body: Any = None) -> dict[str, Any]:
    status, answer = shop.api(method, path, body)
    assert status == 200, answer
    shop.cloud.drain()
    return dict(answer)


# Every size from each channel; at each size one channel cancels and the other refunds.
CASES = [
    ("shopify", 99, "cancel"),
    ("woocommerce", 99, "refund"),
    ("shopify", 100, "refund"),
    ("woocommerce", 100, "cancel"),
    ("shopify", 300, "cancel"),
    ("woocommerce", 300, "refund"),
    ("shopify", 500, "refund"),
    ("woocommerce", 500, "cancel"),
]


@pytest.mark.parametrize(("channel", "n", "undo"), CASES)
def test_an_order_of_hundreds_of_skus_is_reserved_shipped_and_undone_by_the_channel_exactly_once(
    big: Stack, woo_secret: str, channel: str, n: int, undo: str
) -> None:
    shop = big
    prefix = f"B{channel[0].upper()}{n}"
    skus = stock(shop, prefix, n)
    via = Channel(shop, channel, woo_secret)
    base = 600_000 + n * 10 + (0 if channel == "shopify" else 5)

    # Placed, reserved and allocated: every SKU once, in two shipments (two locations).
    shipped_id, _ = via.place(base + 1, skus)
    order = shop.order(shipped_id)
    assert order["status"] == "fulfilling", order.get("hold")
    assert order["reservation"]["reserved"] == dict.fromkeys(skus, 1)
    shipments = ok(shop, "GET", f"/orders/{shipped_id}/shipments")["shipments"]
    assert sorted((s["location"], len(s["lines"])) for s in shipments) == [
        ("wh-east", n - len(skus[::7])),
        ("wh-west", len(skus[::7])),
    ]
    for shipment in shipments:
        ok(shop, "POST", f"/shipments/{shipment['shipment_id']}/ship")
    assert shop.order(shipped_id)["status"] == "shipped"

    # Another order of the same SKUs, allocated, then cancelled or refunded in the channel.
    undone_id, undone = via.place(base + 2, skus)
    assert levels(shop, skus)["TOTAL"] == {(2, 1, 1)}
    (via.cancel if undo == "cancel" else via.refund)(undone)
    order = shop.order(undone_id)
    assert order["status"] == ("cancelled" if undo == "cancel" else "refunded")
    assert order["reservation"]["reserved"] == {}
    assert {s["status"] for s in ok(shop, "GET", f"/orders/{undone_id}/shipments")["shipments"]} == {
        "cancelled"
    }

    # Two units left each (one shipped), nothing reserved, nothing locked.
    assert levels(shop, skus) == {
        "TOTAL": {(2, 0, 2)},
        "LOC#wh-east": {(2, 0, 2)},
        "LOC#wh-west": {(2, 0, 2)},
    }
    assert staged_left(shop) == []
    assert shop.queue_depth("IntakeDLQ") == 0
    assert shop.queue_depth("FulfilmentDLQ") == 0
