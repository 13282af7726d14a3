"""A crash at every AWS call of an outbound webhook's path (the fan-out of a domain event to the
subscriptions, its delivery) ends where the uncrashed run ends: the subscriber gets the event
(at least once, always under the same event id, which it deduplicates on), nothing is left in the
queues or their DLQs. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_outbound_webhooks import Receiver
from tests.reliability.test_crash_after_sale import converge
from tests.reliability.test_crash_every_step import World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

PATH = ("OutboundDispatchFunction", "OutboundDeliveryFunction")


def stock_life(world: World, receiver: Receiver) -> tuple[dict[str, Any], list[Any]]:
    """Stock counted in for a new SKU (a StockAdjusted event), delivered to the subscription."""
    world.n += 1
    stack = world.stack
    sku = f"CRASH-HOOK-{world.n:04d}"
    first = len(world.recorder.calls)
    with world.paused():
        stack.set_stock(sku, wh_east=3)
    with world.recorder.recording():
        for _ in range(6):
            stack.cloud.drain()
    calls = world.recorder.calls[first:]
    mine = [json.loads(s["body"]) for s in receiver.got if json.loads(s["body"])["data"].get("sku") == sku]
    with world.paused():
        state = {
            "event_ids": len({e["id"] for e in mine}),
            "types": sorted({e["type"] for e in mine}),
            "queued": stack.queue_depth("DeliveryQueue") + stack.queue_depth("OutboundEventsQueue"),
            "dead": stack.queue_depth("DeliveryDLQ") + stack.queue_depth("OutboundEventsDLQ"),
        }
    return state, calls


def test_a_crash_at_any_call_of_an_outbound_webhook_delivers_the_event_under_one_id(world: World) -> None:
    stack = world.stack
    with world.paused():
        status, made = stack.api(
            "POST", "/subscriptions", {"url": "https://erp.example.com/oms", "events": ["StockAdjusted"]}
        )
        assert status == 201, made
    receiver = Receiver()
    stack.cloud.invoker.load("OutboundDeliveryFunction").transport = receiver  # type: ignore[attr-defined]
    baseline, _ = stock_life(world, receiver)
    assert baseline == {"event_ids": 1, "types": ["StockAdjusted"], "queued": 0, "dead": 0}
    converged, per_function = converge(world, lambda: stock_life(world, receiver), PATH)
    print(f"{converged} crash points of an outbound webhook converged: {per_function}")
