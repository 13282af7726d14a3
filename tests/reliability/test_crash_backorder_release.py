"""A crash at every AWS call of the backorder release path (the stock count, its event, the
release, the retried intake) ends where the uncrashed run ends: the held order released once, its
stock reserved once. Same world as tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.reliability.test_crash_every_step import World, crash
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

RELEASE_PATH = ("StockApiFunction", "PublisherFunction", "BackorderReleaseFunction", "IntakeFunction")


def test_a_crash_at_any_call_of_a_backorder_release_ends_in_the_same_state(world: World) -> None:
    world.release_life()  # warm
    baseline, calls = world.release_life()
    assert [to for _, to in baseline["path"]] == ["placed", "on_hold", "confirmed", "fulfilling"]
    assert baseline["reserved"]
    assert baseline["locked"] == []
    per_function = Counter(c.caller for c in calls if c.caller in RELEASE_PATH)
    assert set(per_function) == set(RELEASE_PATH), per_function

    differences = []
    converged = 0
    for function in RELEASE_PATH:
        for k in range(1, per_function[function] + 1):
            fault = crash(function, k)
            world.recorder.fault_after = fault
            try:
                state, _ = world.release_life()
            finally:
                world.recorder.fault_after = None
            if not fault.fired():
                continue  # a cached read the baseline made: nothing to crash at
            converged += 1
            if {k: v for k, v in state.items() if k != "stock"} != {
                k: v for k, v in baseline.items() if k != "stock"
            } or sorted(state["stock"].values()) != sorted(baseline["stock"].values()):
                differences.append(((function, k), state, baseline))
    assert not differences, json.dumps(differences, indent=1, default=str)[:4000]
    assert converged >= sum(per_function.values()) // 2
    print(f"{converged} crash points of the release path converged: {dict(per_function)}")
