"""A crash at every AWS call of a bulk job (the jobs API starting it, the worker running its
chunks) ends where the uncrashed run ends: every order tagged once, one result each, the job's
counters exact. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from oms_local.awscalls import Call
from oms_local.samples import shopify_order
from tests.reliability.test_crash_every_step import BIG_STORE, World, crash
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

JOB_PATH = ("JobsApiFunction", "JobWorkerFunction")


def job_life(world: World) -> tuple[dict[str, Any], list[Call]]:
    """Three orders placed and allocated, then one job tagging them (staff's client sends the
    request again, same Idempotency-Key, until it is answered 202)."""
    world.n += 1
    stack, n = world.stack, 90_000 + world.n * 10
    ids = []
    with world.paused():
        for i in range(3):
            order_id = f"{BIG_STORE}.{n + i}"
            world.deliver(
                shopify_order(n + i, skus={"IPOD2009BLACK": 1}), BIG_STORE, "orders/create", f"job-{n + i}"
            )
            ids.append(order_id)
        stack.cloud.drain()
    first = len(world.recorder.calls)
    body = {"action": "add_tag", "order_ids": [*ids, f"{BIG_STORE}.1"], "params": {"tag": f"wave-{n}"}}
    with world.recorder.recording():
        for _ in range(3):
            status, _, _ = stack.api.request("POST", "/jobs", body, headers={"idempotency-key": f"job-{n}"})
            if status == 202:
                break
        stack.cloud.drain()
    with world.paused():
        _, _, job = stack.api.request("GET", f"/jobs/job-{n}")
        orders = [stack.order(i) for i in ids]
        events = {
            e["detail"].get("event_id") or e["id"]: e["detail"]["order_id"]
            for e in stack.events.of_type("OrderTagsChanged")
            if e["detail"]["order_id"] in ids
        }
    state = {
        "job": (job["status"], job["total"], job["done"], job["failed"]),
        "results": sorted(
            (r["order_id"].rsplit(".", 1)[1][-1], r["outcome"], r.get("code")) for r in job["results"]
        ),
        "tags": [o["tags"] == [f"wave-{n}"] for o in orders],
        "tag_events": sorted(Counter(events.values()).values()),
    }
    return state, world.recorder.calls[first:]


def test_a_crash_at_any_call_of_a_bulk_job_ends_in_the_same_state(world: World) -> None:
    job_life(world)  # warm
    baseline, calls = job_life(world)
    assert baseline["job"] == ("done", 4, 3, 1)
    assert baseline["tag_events"] == [1, 1, 1]
    per_function = Counter(c.caller for c in calls if c.caller in JOB_PATH)
    assert set(per_function) == set(JOB_PATH), per_function

    differences = []
    converged = 0
    for function in JOB_PATH:
        for k in range(1, per_function[function] + 1):
            fault = crash(function, k)
            world.recorder.fault_after = fault
            try:
                state, _ = job_life(world)
            finally:
                world.recorder.fault_after = None
            if not fault.fired():
                continue
            converged += 1
            if state != baseline:
                differences.append(((function, k), state, baseline))
    assert not differences, json.dumps(differences, indent=1, default=str)[:4000]
    assert converged >= sum(per_function.values()) // 2
    print(f"{converged} crash points of a bulk job converged: {dict(per_function)}")
