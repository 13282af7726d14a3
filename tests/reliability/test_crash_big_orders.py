"""A crash at every stage of a 300-line order's staged changes (oms.data.staged_commit): the
reservation, the allocation, the shipping, and a cancellation in the channel after allocation.
Same world as tests/reliability/test_crash_every_step.py, in a module of its own so the two run
side by side."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from oms_local.awscalls import Call
from tests.reliability.test_crash_every_step import World
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability


BIG_FUNCTIONS = ("IntakeFunction", "FulfilmentFunction")
WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "SendMessage", "PutEvents"})


def crash_after_write(function: str, k: int) -> Any:
    """A fault after the k-th write ``function`` makes (a crash after a read leaves what a crash
    after the write before it leaves, so the writes are every distinct crash point)."""
    seen = {"n": 0, "fired": False}

    def fault(call: Call, index: int) -> Exception | None:
        if call.caller != function or seen["fired"] or call.operation not in WRITES:
            return None
        seen["n"] += 1
        if seen["n"] == k:
            seen["fired"] = True
            return ClientError(
                {"Error": {"Code": "InjectedCrash", "Message": f"{function} died after write {k}"}},
                call.operation,
            )
        return None

    fault.fired = lambda: seen["fired"]  # type: ignore[attr-defined]
    return fault


@pytest.mark.parametrize("then_cancel", [False, True], ids=["shipped", "cancelled-in-channel"])
def test_a_crash_between_the_stages_of_a_300_line_order_converges(world: World, then_cancel: bool) -> None:
    """The order's reservation spans six transactions and its shipping nine (each stage of
    oms.data.staged_commit): a crash after any write of the intake or the fulfilment leaves a
    staged change that the redelivered message (or the next reader) finishes, once."""
    baseline, calls = world.big_life(300, then_cancel=then_cancel)
    assert baseline["locked"] == []
    assert baseline["path"][-1][1] == ("cancelled" if then_cancel else "shipped")
    writes = Counter(c.caller for c in calls if c.caller in BIG_FUNCTIONS and c.operation in WRITES)
    assert sum(writes.values()) >= 20, writes
    differences = []
    for function in BIG_FUNCTIONS:
        for k in range(1, writes[function] + 1):
            fault = crash_after_write(function, k)
            world.recorder.fault_after = fault
            try:
                state, _ = world.big_life(300, then_cancel=then_cancel)
            finally:
                world.recorder.fault_after = None
            assert fault.fired(), (function, k)
            if state != baseline:
                changed = {key: (state[key], baseline[key]) for key in state if state[key] != baseline[key]}
                differences.append(((function, k), changed))
    assert not differences, json.dumps(differences, indent=1, default=str)[:4000]
