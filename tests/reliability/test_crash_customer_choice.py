"""A crash at every AWS call of the backorder paths ends where the uncrashed run ends: an order of
a store that ships what is available (its missing unit backordered) filled by stock counted in,
and one whose customer chose, through the signed link, to ship what is available and be refunded
the rest (one cancellation, one refund, stock moved once). Same world as
tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from oms.customer_choices import sign
from oms_local.awscalls import Call
from oms_local.samples import shopify_order
from tests.reliability.test_crash_every_step import SECRET, World, crash
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability
STORE = "crash-backorders"


def _store(world: World) -> None:
    with world.paused():
        status, _ = world.stack.api("GET", f"/stores/{STORE}")
        if status == 200:
            return
        status, body = world.stack.api(
            "POST",
            "/stores",
            {
                "store_id": STORE,
                "channel": "shopify",
                "name": "Crash backorders",
                "webhook_secret": SECRET,
                "shop_domain": f"{STORE}.myshopify.com",
                "settings": {
                    "location_priority": ["wh-east"],
                    "backorders": "ship_available",
                    "customer_choice": True,
                },
            },
        )
        assert status == 201, body


def _token(world: World, order: dict[str, Any]) -> str:
    cloud = world.stack.cloud
    with world.paused():
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        key = secrets.get_secret_value(SecretId=cloud.ref("ChoiceLinkKey"))
    return sign(key["SecretString"].encode(), order["order_id"], order["choice"]["offer"])


def _placed(world: World, n: int) -> tuple[str, str, str]:
    stack = world.stack
    with world.paused():
        a, b = stack.new_sku("CRASH-BOA", wh_east=5), stack.new_sku("CRASH-BOB", wh_east=1)
    world.deliver(shopify_order(n, skus={a: 1, b: 2}), STORE, "orders/create", f"crash-bo-{n}")
    order_id = f"{STORE}.{n}"
    world.drain_until(order_id, "fulfilling")
    return order_id, a, b


def _state(world: World, order_id: str, skus: list[str]) -> dict[str, Any]:
    with world.paused():
        order = world.stack.order(order_id)
        shipments = world.stack.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]
        events = {
            e["detail"].get("event_id") or e["id"]: e["detail-type"]
            for e in world.stack.events.all()
            if e["detail"].get("order_id") == order_id
        }
        emails = {m["subject"].replace(order["number"], "#N") for m in world.emails(order["number"])}
    names = {line["line_id"]: line["sku"].split("-")[1] for line in order["lines"]}
    return {
        "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
        "backordered": {names[k]: v for k, v in order["backordered"].items()},
        "cancelled": {names[k]: v for k, v in order["cancelled_quantities"].items()},
        "refunds": [(r["status"], r["total"]["amount"]) for r in order["refunds"]],
        "chosen": (order["choice"] or {}).get("chosen"),
        "reserved": sorted(order["reservation"]["reserved"].values()),
        "stock": sorted(world.levels(skus).values()),
        "shipments": sorted((s["status"], sorted(ln["quantity"] for ln in s["lines"])) for s in shipments),
        "events": sorted(Counter(events.values()).items()),
        "emails": sorted(emails),
        "locked": world.locked(),
    }


def fill_life(world: World) -> tuple[dict[str, Any], list[Call]]:
    """The backordered unit is filled when staff count stock in, and gets its own shipment."""
    _store(world)
    world.n += 1
    first = len(world.recorder.calls)
    with world.recorder.recording():
        order_id, a, b = _placed(world, 88_000 + world.n)
        for _ in range(3):
            if (
                world.stack.api("PUT", f"/stock/{b}", {"locations": [{"location": "wh-east", "on_hand": 4}]})[
                    0
                ]
                == 200
            ):
                break
        for _ in range(8):
            world.stack.cloud.drain()
    return _state(world, order_id, [a, b]), world.recorder.calls[first:]


def choice_life(world: World) -> tuple[dict[str, Any], list[Call]]:
    """The customer, by the emailed link, ships what is available and is refunded the rest; their
    browser posts again until it gets its answer."""
    _store(world)
    world.n += 1
    first = len(world.recorder.calls)
    with world.recorder.recording():
        order_id, a, b = _placed(world, 89_000 + world.n)
        with world.paused():
            order = world.stack.order(order_id)
        token = _token(world, order)
        for _ in range(3):
            status, _, _ = world.stack.api.request(
                "POST",
                f"/choices/{token}",
                {"choice": "ship_available"},
                headers={"accept": "application/json"},
            )
            if status == 200:
                break
        for _ in range(8):
            world.stack.cloud.drain()
    return _state(world, order_id, [a, b]), world.recorder.calls[first:]


def converge(
    world: World, life: Callable[[World], tuple[dict[str, Any], list[Call]]], functions: tuple[str, ...]
) -> int:
    life(world)  # warm
    baseline, calls = life(world)
    per_function = Counter(c.caller for c in calls if c.caller in functions)
    assert set(per_function) == set(functions), per_function
    differences, converged = [], 0
    for function in functions:
        for k in range(1, per_function[function] + 1):
            fault = crash(function, k)
            world.recorder.fault_after = fault
            try:
                state, _ = life(world)
            finally:
                world.recorder.fault_after = None
            if not fault.fired():
                continue
            converged += 1
            if state != baseline:
                differences.append(((function, k), state, baseline))
    assert not differences, json.dumps(differences, indent=1, default=str)[:4000]
    print(f"{converged} crash points converged: {dict(per_function)}")
    return converged


def test_a_crash_at_any_call_while_a_backorder_is_filled_ends_in_the_same_state(world: World) -> None:
    baseline, _ = fill_life(world)
    assert baseline["backordered"] == {}
    assert baseline["refunds"] == []
    assert ("BackorderFilled", 1) in baseline["events"]
    assert ("LinesBackordered", 1) in baseline["events"]
    assert baseline["shipments"] == [("pending", [1]), ("pending", [1, 1])]
    functions = ("IntakeFunction", "PublisherFunction", "BackorderReleaseFunction", "FulfilmentFunction")
    assert converge(world, fill_life, functions) >= 10


def test_a_crash_at_any_call_of_a_customer_choice_ends_with_one_cancellation_and_one_refund(
    world: World,
) -> None:
    baseline, _ = choice_life(world)
    assert baseline["chosen"] == "ship_available"
    assert baseline["backordered"] == {}
    assert baseline["cancelled"] == {"BOB": 1}
    assert len(baseline["refunds"]) == 1
    assert baseline["refunds"][0][0] == "manual"
    assert ("CustomerChoiceMade", 1) in baseline["events"]
    functions = ("ChoicesApiFunction", "PublisherFunction", "NotifierFunction", "IntakeFunction")
    assert converge(world, choice_life, functions) >= 10
