"""A crash at every AWS call of a staff edit made on Shopify ends where the uncrashed run ends:
the edit is committed on Shopify once (its lines are not added twice, also when the function dies
after Shopify committed it and before the answer came back), the ids Shopify gave the added lines
are recorded, and Shopify's next view of the order doubles nothing. Same world as
tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oms.integrations.http_transport import HttpError, HttpResponse
from oms_local.samples import shopify_order
from tests.reliability.test_crash_after_sale import converge, send, state
from tests.reliability.test_crash_every_step import SECRET, World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

PATH = ("OrdersApiFunction", "PublisherFunction", "ChannelSyncFunction")
SHOP = "crash-edits"


class ShopifyOrders:
    """Shopify's order editing as the GraphQL Admin documentation describes it: an order's lines
    (id, SKU, current quantity), an edit session staging quantity changes and added variants, and
    the commit that applies them under new line ids. It remembers its orders, as Shopify would,
    so an edit committed twice would show as lines added twice."""

    def __init__(self) -> None:
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.sessions: dict[str, tuple[str, list[tuple[str, Any]]]] = {}
        self.variants: dict[str, str] = {}
        self.next_id = 5_000_000
        self.lose_commit_answer = False  # once: the commit is made and its answer lost on the way

    def open(self, order_id: int, lines: dict[int, tuple[str, int]]) -> None:
        self.orders[str(order_id)] = [{"id": str(i), "sku": s, "quantity": q} for i, (s, q) in lines.items()]

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert url == f"https://{SHOP}.myshopify.com/admin/api/2026-10/graphql.json", url
        sent = json.loads(body or b"{}")
        name = sent["query"].split("(")[0].split()[-1]
        data = getattr(self, name)(sent["variables"])
        return HttpResponse(200, json.dumps({"data": data}).encode())

    def OrderLines(self, v: dict[str, Any]) -> dict[str, Any]:
        lines = self.orders[v["id"].rsplit("/", 1)[1]]
        nodes = [
            {"id": f"gid://shopify/LineItem/{ln['id']}", "sku": ln["sku"], "currentQuantity": ln["quantity"]}
            for ln in lines
        ]
        return {"order": {"lineItems": {"nodes": nodes, "pageInfo": {"hasNextPage": False}}}}

    def OrderEditBegin(self, v: dict[str, Any]) -> dict[str, Any]:
        session = f"gid://shopify/CalculatedOrder/{len(self.sessions) + 1}"
        self.sessions[session] = (v["id"].rsplit("/", 1)[1], [])
        return {"orderEditBegin": {"calculatedOrder": {"id": session}, "userErrors": []}}

    def OrderEditSetQuantity(self, v: dict[str, Any]) -> dict[str, Any]:
        self.sessions[v["id"]][1].append(("set", (v["lineItemId"].rsplit("/", 1)[1], v["quantity"])))
        return {"orderEditSetQuantity": {"calculatedLineItem": {"id": v["lineItemId"]}, "userErrors": []}}

    def VariantBySku(self, v: dict[str, Any]) -> dict[str, Any]:
        sku = v["query"].split('"')[1]
        nodes = [{"id": self.variants[sku], "sku": sku}] if sku in self.variants else []
        return {"productVariants": {"nodes": nodes}}

    def OrderEditAddVariant(self, v: dict[str, Any]) -> dict[str, Any]:
        sku = next((s for s, g in self.variants.items() if g == v["variantId"]), "?")
        self.sessions[v["id"]][1].append(("add", (sku, v["quantity"])))
        line = {
            "id": "gid://shopify/CalculatedLineItem/0",
            "originalUnitPriceSet": {"shopMoney": {"amount": "4.00"}},
        }
        return {"orderEditAddVariant": {"calculatedLineItem": line, "userErrors": []}}

    def OrderEditCommit(self, v: dict[str, Any]) -> dict[str, Any]:
        order_id, staged = self.sessions.pop(v["id"])
        lines = self.orders[order_id]
        for kind, (what, quantity) in staged:
            if kind == "set":
                next(ln for ln in lines if ln["id"] == what)["quantity"] = quantity
            else:
                self.next_id += 1
                lines.append({"id": str(self.next_id), "sku": what, "quantity": quantity})
        if self.lose_commit_answer:
            self.lose_commit_answer = False
            raise HttpError("POST graphql.json failed: TimeoutError", retryable=True)
        return {"orderEditCommit": {"order": {"id": f"gid://shopify/Order/{order_id}"}, "userErrors": []}}


def edit_life(world: World, shopify: ShopifyOrders) -> tuple[dict[str, Any], list[Any]]:
    """Staff lower one line and add a SKU; the channel sync makes it on Shopify; Shopify then
    sends its view of the edited order."""
    world.n += 1
    stack, n = world.stack, 81_000 + world.n
    order_id = f"{SHOP}.{n}"
    with world.paused():
        a = stack.new_sku("CRASH-EA", wh_east=5)
        b = stack.new_sku("CRASH-EB", wh_east=5)
        shopify.variants = {a: "gid://shopify/ProductVariant/1", b: "gid://shopify/ProductVariant/2"}
        payload = shopify_order(n, skus={a: 3})
        payload["line_items"][0]["variant_id"] = 1
        shopify.open(n, {n * 1000: (a, 3)})
        world.deliver(payload, SHOP, "orders/create", f"crash-edit-{n}")
        world.drain_until(order_id, "fulfilling")
    line = str(n * 1000)
    first = len(world.recorder.calls)
    with world.recorder.recording():
        edit = {
            "change": [{"line_id": line, "quantity": 1}],
            "add": [{"sku": b, "quantity": 2, "unit_price": "4.00"}],
        }
        send(world, f"/orders/{order_id}/edits", edit, f"edit-{n}", 200)
        for _ in range(6):
            stack.cloud.drain()
    calls = world.recorder.calls[first:]
    # Shopify's orders/updated after the edit: the lowered line keeps its quantity with a lower
    # current_quantity, the added one is a line of Shopify's own id.
    echo = shopify_order(n, skus={a: 3}, updated_at="2030-01-01T00:00:00Z")
    template = echo["line_items"][0]
    echo["line_items"] = []
    for ln in shopify.orders[str(n)]:
        ordered = 3 if ln["id"] == line else ln["quantity"]
        echo["line_items"].append(
            template
            | {"id": int(ln["id"]), "sku": ln["sku"], "quantity": ordered, "current_quantity": ln["quantity"]}
        )
    world.deliver(echo, SHOP, "orders/updated", f"crash-edit-echo-{n}")
    stack.cloud.drain()
    result = state(world, order_id, [a, b])
    order = stack.order(order_id)
    result["edit"] = [(e["push"], e["pushed"]) for e in order["edits"]]
    result["lines"] = sorted(
        (
            ln["sku"] == a,
            ln["quantity"] if ln["current_quantity"] is None else ln["current_quantity"],
            bool(ln["channel_line_id"]),
        )
        for ln in order["lines"]
    )
    result["on_shopify"] = sorted((ln["sku"] == a, ln["quantity"]) for ln in shopify.orders[str(n)])
    return result, calls


def test_a_crash_at_any_call_of_an_edit_pushed_to_shopify_commits_it_there_once(world: World) -> None:
    stack = world.stack
    with world.paused():
        store = {
            "store_id": SHOP,
            "channel": "shopify",
            "name": "Crash edits",
            "webhook_secret": SECRET,
            "shop_domain": f"{SHOP}.myshopify.com",
            "api_credentials": {"access_token": "shpat_crash_edits_token"},
            "settings": {"location_priority": ["wh-east"], "push_fulfilment_to_channel": False},
        }
        status, body = stack.api("POST", "/stores", store)
        assert status == 201, body
    shopify = ShopifyOrders()
    stack.cloud.invoker.load("ChannelSyncFunction").service.transport = shopify  # type: ignore[attr-defined]
    baseline, _ = edit_life(world, shopify)
    assert baseline["edit"] == [("pushed", "made on Shopify as an order edit")]
    assert baseline["on_shopify"] == [(False, 2), (True, 1)]
    assert baseline["lines"] == [(False, 2, True), (True, 1, False)]
    converged, per_function = converge(world, lambda: edit_life(world, shopify), PATH)
    shopify.lose_commit_answer = True  # the function dies while Shopify commits: found, not redone
    lost, _ = edit_life(world, shopify)
    assert lost == baseline
    print(f"{converged} crash points of an edit pushed to Shopify converged: {per_function}")
