"""A crash at every AWS call of a return, from request to refund, ends where the uncrashed run ends:
the return approved with one label, its units counted in once (restocked once, written off once),
one refund of what the policy says, the same events. Staff's client repeats each request (same
Idempotency-Key) until it gets its answer. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from oms_local.samples import shopify_order
from tests.reliability.test_crash_after_sale import converge, send, state
from tests.reliability.test_crash_every_step import BIG_STORE, World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability
PATH = ("ReturnsApiFunction", "PublisherFunction", "BackorderReleaseFunction")


def return_life(world: World) -> tuple[dict[str, Any], list[Any]]:
    """A delivered order of two SKUs: a return of both units asked for, approved with a sandbox
    label, counted in (one restocked at another warehouse than it left, one damaged) and so
    refunded on receipt (the store's default), by hand (the store has no API keys)."""
    world.n += 1
    stack, n = world.stack, 77_000 + world.n
    order_id = f"{BIG_STORE}.{n}"
    with world.paused():
        a = stack.new_sku("CRASH-RET-A", wh_east=5, wh_west=0)
        b = stack.new_sku("CRASH-RET-B", wh_east=5)
        world.deliver(shopify_order(n, skus={a: 1, b: 1}), BIG_STORE, "orders/create", f"crash-return-{n}")
        world.drain_until(order_id, "fulfilling")
        for shipment in stack.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]:
            assert stack.api("POST", f"/shipments/{shipment['shipment_id']}/ship")[0] == 200
            assert stack.api("POST", f"/shipments/{shipment['shipment_id']}/delivered")[0] == 200
        stack.cloud.drain()
        order = stack.order(order_id)
    line = {x["sku"]: x["line_id"] for x in order["lines"]}
    return_id = f"{order_id}-R1"
    first = len(world.recorder.calls)
    with world.recorder.recording():
        asked = {
            "lines": [
                {"line_id": line[a], "quantity": 1, "reason": "size_or_fit"},
                {"line_id": line[b], "quantity": 1, "reason": "damaged"},
            ]
        }
        send(world, f"/orders/{order_id}/returns", asked, f"return-{n}", 201)
        send(world, f"/returns/{return_id}/approve", {"label": "carrier"}, f"approve-{n}", 200)
        counted = {
            "lines": [
                {"line_id": line[a], "quantity": 1, "disposition": "restock", "location_id": "wh-west"},
                {"line_id": line[b], "quantity": 1, "disposition": "damaged"},
            ]
        }
        send(world, f"/returns/{return_id}/receive", counted, f"receive-{n}", 200)
        send(world, f"/returns/{return_id}/refund", {}, f"refund-{n}", 200)

        for _ in range(5):
            stack.cloud.drain()
    result = state(world, order_id, [a, b])
    with world.paused():
        ret = stack.api("GET", f"/returns/{return_id}")[1]
    result["return"] = (
        ret["status"],
        [(t.get("from_status"), t["to_status"]) for t in ret["timeline"]],
        [(x["received"], x["restocked"], x["damaged"], x["missing"]) for x in ret["lines"]],
        ret["label"]["tracking_number"][:6] if ret.get("label") else None,
        (ret.get("refunded") or {}).get("amount"),
    )
    result["returned"] = sorted(order["returned"].values()) if (order := stack.order(order_id)) else []
    return result, world.recorder.calls[first:]


def test_a_crash_at_any_call_of_a_return_from_request_to_refund_ends_in_the_same_state(world: World) -> None:
    invoker = world.stack.cloud.invoker
    # Like staff's other APIs in this world: a dead request's in-progress key record is gone by the
    # time the client sends it again.
    invoker.specs["ReturnsApiFunction"] = replace(invoker.specs["ReturnsApiFunction"], timeout=0)  # type: ignore[attr-defined]
    baseline, _ = return_life(world)
    status, path, lines, label, refunded = baseline["return"]
    assert status == "closed"
    assert path[-3:] == [("approved", "received"), ("received", "refunded"), ("refunded", "closed")]
    assert lines == [(1, 1, 0, 0), (1, 0, 1, 0)]
    assert label == "SBXD03"
    assert [r[0] for r in baseline["refunds"]] == ["manual"]
    assert refunded == baseline["refunds"][0][1]
    converged, per_function = converge(world, lambda: return_life(world), PATH)
    print(f"{converged} crash points of a return converged: {per_function}")
