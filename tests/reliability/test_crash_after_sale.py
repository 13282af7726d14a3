"""A crash at every AWS call of cancelling and refunding ends where the uncrashed run ends: the
same units cancelled and released, the same refunds, stock restocked once, the same events; and a
refund made on the channel is made there once, also when the crash comes after the channel
confirmed it and before we recorded it. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from oms.integrations.http_transport import HttpResponse
from oms_local.samples import shopify_order, woocommerce_delivery, woocommerce_order
from tests.reliability.test_crash_every_step import BIG_STORE, World, crash
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

MANUAL_PATH = ("OrdersApiFunction", "PublisherFunction", "NotifierFunction", "FulfilmentFunction")
CHANNEL_PATH = ("OrdersApiFunction", "PublisherFunction", "ChannelSyncFunction")
WOO, WOO_SECRET, SITE = "crash-woo", "crash-woo-webhook-secret", "https://crash-woo.example.com"
KEYS = {
    "consumer_key": "ck_1111111111111111111111111111111111111111",
    "consumer_secret": "cs_2222222222222222222222222222222222222222",
}


class WooRefunds:
    """WooCommerce's order refunds endpoint as its documentation describes it (GET lists an
    order's refunds, POST creates one and answers it, with its meta data): it remembers what it
    made, as the real store would, so a repeated POST would show as a second refund."""

    def __init__(self) -> None:
        self.made: dict[str, list[dict[str, Any]]] = {}

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert url.startswith(f"{SITE}/wp-json/wc/v3/orders/"), url
        assert url.endswith("/refunds"), url
        order = url.split("/orders/")[1].split("/")[0]
        refunds = self.made.setdefault(order, [])
        if method == "GET":
            return HttpResponse(200, json.dumps(refunds).encode())
        sent = json.loads(body or b"{}")
        made = {
            "id": 800 + sum(len(v) for v in self.made.values()),
            "amount": sent["amount"],
            "reason": sent.get("reason", ""),
            "refunded_payment": bool(sent.get("api_refund")),
            "meta_data": [{"id": 1, **m} for m in sent.get("meta_data", [])],
            "line_items": [],
        }
        refunds.append(made)
        return HttpResponse(201, json.dumps(made).encode())


def manual_life(world: World) -> tuple[dict[str, Any], list[Any]]:
    """A line cancelled with its refund before it ships and a line added by an edit (allocated by
    the fulfilment step), then, after the rest shipped, one unit refunded and restocked: staff's
    client repeats each request (same Idempotency-Key) until it gets its answer."""
    world.n += 1
    stack, n = world.stack, 78_000 + world.n
    order_id = f"{BIG_STORE}.{n}"
    with world.paused():
        a = stack.new_sku("CRASH-RA", wh_east=5)
        b = stack.new_sku("CRASH-RB", wh_east=5)
        c = stack.new_sku("CRASH-RC", wh_east=5)
        world.deliver(shopify_order(n, skus={a: 2, b: 1}), BIG_STORE, "orders/create", f"crash-refund-{n}")
        world.drain_until(order_id, "fulfilling")
        order = stack.order(order_id)
    line = {x["sku"]: x["line_id"] for x in order["lines"]}
    first = len(world.recorder.calls)
    with world.recorder.recording():
        cancel = {"reason": "customer", "lines": [{"line_id": line[b]}], "refund": True}
        send(world, f"/orders/{order_id}/cancel", cancel, f"cancel-{n}", 200)
        edit = {"add": [{"sku": c, "quantity": 1, "unit_price": "4.00"}]}
        send(world, f"/orders/{order_id}/edits", edit, f"edit-{n}", 200)
        for _ in range(5):
            stack.cloud.drain()
    with world.paused():
        for shipment in stack.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]:
            assert stack.api("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200
        stack.cloud.drain()
    with world.recorder.recording():
        refund = {"lines": [{"line_id": line[a], "quantity": 1, "restock": True}], "reason": "damaged"}
        send(world, f"/orders/{order_id}/refunds", refund, f"refund-{n}", 201)
        for _ in range(5):
            stack.cloud.drain()
    return state(world, order_id, [a, b, c]), world.recorder.calls[first:]


def channel_life(world: World, woo: WooRefunds) -> tuple[dict[str, Any], list[Any]]:
    """A goodwill refund on a WooCommerce order, made through the store's REST API."""
    world.n += 1
    stack, n = world.stack, 79_000 + world.n
    order_id = f"{WOO}.{n}"
    with world.paused():
        sku = stack.new_sku("CRASH-RW", wh_west=5)
        delivery = woocommerce_delivery(
            woocommerce_order(n, skus={sku: 1}), store_id=WOO, secret=WOO_SECRET, site_url=SITE
        )
        assert stack.send(delivery)[0] == 202
        world.drain_until(order_id, "fulfilling")
    first = len(world.recorder.calls)
    with world.recorder.recording():
        send(world, f"/orders/{order_id}/refunds", {"amount": "5.00", "reason": "late"}, f"refund-{n}", 201)
        for _ in range(6):
            stack.cloud.drain()
    result = state(world, order_id, [sku])
    result["made_on_channel"] = [r["amount"] for r in woo.made.get(str(n), [])]
    return result, world.recorder.calls[first:]


def send(world: World, path: str, body: dict[str, Any], key: str, ok: int) -> None:
    for _ in range(3):
        status, _, _ = world.stack.api.request("POST", path, body, headers={"idempotency-key": key})
        if status == ok:
            return


def state(world: World, order_id: str, skus: list[str]) -> dict[str, Any]:
    stack = world.stack
    with world.paused():
        order = stack.order(order_id)
        shipments = stack.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]
        events = {
            e["detail"].get("event_id") or e["id"]: e["detail-type"]
            for e in stack.events.all()
            if e["detail"].get("order_id") == order_id
        }
        levels = world.levels(skus)
        emails = sorted(
            {
                m["subject"].split(": ", 1)[1].replace(order["number"], "#N")
                for m in world.emails(order["number"])
            }
        )
    by_sku = {s: i for i, s in enumerate(skus)}
    return {
        "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
        "refunds": [
            (
                r["status"],
                r["total"]["amount"],
                [(x["quantity"], x["cancelled"], x["restocked"]) for x in r["lines"]],
            )
            for r in order["refunds"]
        ],
        "cancelled": sorted(order["cancelled_quantities"].values()),
        "stock": sorted(
            (k.replace(s, f"sku{by_sku[s]}"), v) for k, v in levels.items() for s in skus if s in k
        ),
        "shipments": sorted((s["status"], [x["quantity"] for x in s["lines"]]) for s in shipments),
        "events": sorted(Counter(events.values()).items()),
        "emails": emails,
        "locked": world.locked(),
    }


def converge(world: World, life: Any, path: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    life()  # warm
    baseline, calls = life()
    per_function = Counter(c.caller for c in calls if c.caller in path)
    assert set(per_function) == set(path), per_function
    differences, converged = [], 0
    for function in path:
        for k in range(1, per_function[function] + 1):
            fault = crash(function, k)
            world.recorder.fault_after = fault
            try:
                result, _ = life()
            finally:
                world.recorder.fault_after = None
            if not fault.fired():
                continue
            converged += 1
            if result != baseline:
                differences.append(((function, k), result, baseline))
    assert not differences, json.dumps(differences, indent=1, default=str)[:6000]
    assert converged >= sum(per_function.values()) // 2
    return converged, dict(per_function)


def test_a_crash_at_any_call_of_a_cancel_and_a_restocking_refund_ends_in_the_same_state(world: World) -> None:
    baseline, _ = manual_life(world)
    assert [r[0] for r in baseline["refunds"]] == ["manual", "manual"]
    assert baseline["cancelled"] == [1]
    converged, per_function = converge(world, lambda: manual_life(world), MANUAL_PATH)
    print(f"{converged} crash points of cancel + refund converged: {per_function}")


def test_a_crash_at_any_call_of_a_channel_refund_makes_it_on_the_channel_once(world: World) -> None:
    stack = world.stack
    with world.paused():
        store = {
            "store_id": WOO,
            "channel": "woocommerce",
            "name": "Crash Woo",
            "webhook_secret": WOO_SECRET,
            "site_url": SITE,
            "api_credentials": KEYS,
            "settings": {"location_priority": ["wh-west"], "push_fulfilment_to_channel": False},
        }
        assert stack.api("POST", "/stores", store)[0] == 201
    woo = WooRefunds()
    stack.cloud.invoker.load("ChannelSyncFunction").service.transport = woo  # type: ignore[attr-defined]
    baseline, _ = channel_life(world, woo)
    assert baseline["refunds"] == [("succeeded", "5.00", [])]
    assert baseline["made_on_channel"] == ["5.00"]
    converged, per_function = converge(world, lambda: channel_life(world, woo), CHANNEL_PATH)
    print(f"{converged} crash points of a channel refund converged: {per_function}")
