"""A crash at every AWS call of a reconciliation staff asked for (the stores API, the order recovery
function) ends where the uncrashed run ends: the order whose webhook was lost is taken in once,
confirmed once, its stock reserved once. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oms.integrations.http_transport import HttpResponse
from tests.reliability.test_crash_after_sale import converge
from tests.reliability.test_crash_every_step import SECRET, World
from tests.reliability.test_crash_every_step import world as world
from tests.replay import recorded

pytestmark = pytest.mark.reliability

PATH = ("StoresApiFunction", "OrderRecoveryFunction")
SHOP = "crash-recon"
TOKEN = "shpat_crash_recon_token"


class ShopifyOrders:
    """Shopify's orders as the GraphQL Admin API answers for them: the changed-orders search
    lists the one order of the current life, and the order reads in full (the recorded example
    order, with its own id and SKU)."""

    def __init__(self) -> None:
        self.order: dict[str, Any] | None = None
        self.reads: Counter[str] = Counter()

    def place(self, n: int, sku: str) -> None:
        node = copy.deepcopy(
            recorded("shopify-reconcile")["exchanges"][1]["response"]["json"]["data"]["order"]
        )
        node["legacyResourceId"], node["name"] = str(n), f"#{n}"
        node["displayFinancialStatus"] = "PAID"
        node["totalOutstandingSet"] = {"shopMoney": {"amount": "0.00"}}
        node["fulfillments"] = []
        line = node["lineItems"]["nodes"][0]
        line.update(
            id=f"gid://shopify/LineItem/{n}1", sku=sku, quantity=2, currentQuantity=2, unfulfilledQuantity=2
        )
        node["lineItems"]["nodes"] = [line]
        self.order = node

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert url == f"https://{SHOP}.myshopify.com/admin/api/2026-10/graphql.json", url
        assert headers["x-shopify-access-token"] == TOKEN
        assert self.order is not None
        sent = json.loads(body or b"{}")
        name = sent["query"].split("(")[0].split()[-1]
        self.reads[name] += 1
        if name == "ChangedOrders":
            node = {"legacyResourceId": self.order["legacyResourceId"], "updatedAt": self.order["updatedAt"]}
            data: dict[str, Any] = {
                "orders": {"nodes": [node], "pageInfo": {"hasNextPage": False, "endCursor": "c"}}
            }
        else:
            assert name == "OrderForIntake", name
            assert sent["variables"]["id"] == f"gid://shopify/Order/{self.order['legacyResourceId']}"
            data = {"order": self.order}
        return HttpResponse(200, json.dumps({"data": data}).encode())


def recovery_life(world: World, shopify: ShopifyOrders) -> tuple[dict[str, Any], list[Any]]:
    """An order placed on Shopify whose webhook never came; staff ask for the last hour to be
    reconciled (retrying until the API takes it), and everything runs until the order is allocated."""
    world.n += 1
    stack, n = world.stack, 60_000 + world.n
    with world.paused():
        sku = stack.new_sku("CRASH-REC", wh_east=5)
        stack.cloud.drain()
    shopify.place(n, sku)
    order_id = f"{SHOP}.{n}"
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    first = len(world.recorder.calls)
    with world.recorder.recording():
        for _ in range(3):
            if stack.api("POST", f"/stores/{SHOP}/reconcile", {"since": since})[0] == 202:
                break
        world.drain_until(order_id, "fulfilling")
    calls = world.recorder.calls[first:]
    with world.paused():
        order = stack.order(order_id)
        kinds = Counter(
            e["detail-type"] for e in stack.events.all() if e["detail"].get("order_id") == order_id
        )
        stock = stack.stock(sku)
        state = {
            "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
            "events": dict(sorted(kinds.items())),
            "stock": (stock["on_hand"], stock["reserved"]),
            "dlq": stack.queue_depth("ReconcileDLQ"),
        }
    return state, calls


def test_a_crash_at_any_call_of_a_reconciliation_takes_the_lost_order_in_once(world: World) -> None:
    stack = world.stack
    with world.paused():
        store = {
            "store_id": SHOP,
            "channel": "shopify",
            "name": "Crash reconciliation",
            "webhook_secret": SECRET,
            "shop_domain": f"{SHOP}.myshopify.com",
            "api_credentials": {"access_token": TOKEN},
            "settings": {"location_priority": ["wh-east"]},
        }
        status, body = stack.api("POST", "/stores", store)
        assert status == 201, body
    shopify = ShopifyOrders()
    stack.cloud.invoker.load("OrderRecoveryFunction").transport = shopify  # type: ignore[attr-defined]
    baseline, _ = recovery_life(world, shopify)
    assert baseline["events"]["OrderConfirmed"] == 1
    assert baseline["stock"] == (5, 2)
    assert baseline["dlq"] == 0
    converged, per_function = converge(world, lambda: recovery_life(world, shopify), PATH)
    print(f"{converged} crash points of a reconciliation converged: {per_function}")
