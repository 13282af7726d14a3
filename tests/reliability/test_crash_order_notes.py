"""A crash at every AWS call of writing a note (the orders API, the publisher, the notifier) ends
where the uncrashed run ends: one note, one event, the customer told. Same world as
tests/reliability/test_crash_every_step.py."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.reliability.test_crash_every_step import World, crash
from tests.reliability.test_crash_every_step import world as world

pytestmark = pytest.mark.reliability

NOTE_PATH = ("OrdersApiFunction", "PublisherFunction", "NotifierFunction")


def test_a_crash_at_any_call_of_writing_a_note_ends_in_the_same_state(world: World) -> None:
    world.note_life()  # warm
    baseline, calls = world.note_life()
    (note_id, text), *more = baseline["notes"]
    assert (text, more, baseline["events"]) == ("Your parcel leaves on Monday", [], [note_id])
    assert baseline["emails"] == ["Crash wholesale: a note about your order #N"]
    per_function = Counter(c.caller for c in calls if c.caller in NOTE_PATH)
    assert set(per_function) == set(NOTE_PATH), per_function

    differences, converged = [], 0
    for function in NOTE_PATH:
        for k in range(1, per_function[function] + 1):
            fault = crash(function, k)
            world.recorder.fault_after = fault
            try:
                state, _ = world.note_life()
            finally:
                world.recorder.fault_after = None
            if not fault.fired():
                continue
            converged += 1
            same = {**state, "notes": [t for _, t in state["notes"]], "events": len(state["events"])}
            expected = {**baseline, "notes": [t for _, t in baseline["notes"]], "events": 1}
            if same != expected:
                differences.append(((function, k), state))
    assert not differences, json.dumps(differences, indent=1, default=str)[:4000]
    assert converged >= sum(per_function.values()) // 2
    print(f"{converged} crash points of writing a note converged: {dict(per_function)}")
