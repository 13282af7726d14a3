"""Stock counts and low-stock alerts (oms.stock), branch by branch."""

from __future__ import annotations

import pytest

from oms.errors import Conflict
from oms.models import StockLevel
from oms.outbox_relay import TableChange, events_of_change
from oms.stock import available_changed_event, low_stock_event, plan_count
from tests.unit.builders import NOW


def level(location: str, on_hand: int, reserved: int) -> StockLevel:
    return StockLevel(
        sku="A", location=location, on_hand=on_hand, reserved=reserved, available=on_hand - reserved
    )


def test_a_count_sets_each_location_and_says_how_the_total_changes() -> None:
    current = {"wh-east": level("wh-east", 10, 3)}
    plan = plan_count("A", {"wh-east": 4, "wh-west": 6}, current, NOW)
    assert [(c.location, c.on_hand, c.reserved, c.previous_on_hand) for c in plan.locations] == [
        ("wh-east", 4, 3, 10),
        ("wh-west", 6, 0, None),
    ]
    assert plan.total_delta == 0  # -6 at east, +6 at west
    east, west = (c.event.detail for c in plan.locations)
    assert (east["available"], east["previous_on_hand"]) == (1, 10)
    assert (west["available"], west["previous_on_hand"]) == (6, None)
    assert plan.locations[0].event.type == "StockAdjusted"
    assert plan.total_release_needed == 0


def test_a_lower_count_must_leave_the_total_this_much_available() -> None:
    plan = plan_count("A", {"wh-east": 7}, {"wh-east": level("wh-east", 10, 0)}, NOW)
    assert (plan.total_delta, plan.total_release_needed) == (-3, 3)
    more = plan_count("A", {"wh-east": 12}, {"wh-east": level("wh-east", 10, 0)}, NOW)
    assert (more.total_delta, more.total_release_needed) == (2, 0)


def test_a_count_may_equal_what_shipments_hold_but_not_go_below_it() -> None:
    current = {"wh-east": level("wh-east", 10, 4)}
    assert plan_count("A", {"wh-east": 4}, current, NOW).locations[0].event.detail["available"] == 0
    with pytest.raises(Conflict) as refused:
        plan_count("A", {"wh-east": 3}, current, NOW)
    assert refused.value.code == "on_hand_below_reserved"


def totals(available: int) -> dict[str, object]:
    return {"sku": "A", "on_hand": available + 2, "reserved": 2, "available": available}


@pytest.mark.parametrize(
    ("before", "after", "alerts"),
    [(6, 5, True), (9, 0, True), (5, 4, False), (6, 6, False), (3, 8, False)],
)
def test_low_stock_is_raised_once_when_available_crosses_the_threshold(
    before: int, after: int, alerts: bool
) -> None:
    event = low_stock_event(totals(before), totals(after), 5, NOW, "low:1")
    assert (event is not None) == alerts
    if event is not None:
        assert event.type == "LowStock"
        assert (event.detail["available"], event.detail["threshold"], event.detail["on_hand"]) == (
            after,
            5,
            after + 2,
        )


def test_no_low_stock_without_a_before_and_after() -> None:
    assert low_stock_event(None, totals(0), 5, NOW, "e") is None
    assert low_stock_event({"sku": "A"}, totals(0), 5, NOW, "e") is None
    assert low_stock_event(totals(9), {"sku": "A"}, 5, NOW, "e") is None


def versioned(available: int, version: int) -> dict[str, object]:
    return {**totals(available), "stock_version": version}


def test_every_change_of_available_stock_is_an_event_named_by_its_sku_and_version() -> None:
    event = available_changed_event(versioned(4, 7), versioned(3, 8), NOW)
    assert event is not None
    assert (event.id, event.type, event.source) == ("stock:A:8", "StockAvailableChanged", "oms.stock")
    assert {
        k: event.detail[k]
        for k in ("sku", "available", "previous_available", "on_hand", "reserved", "version")
    } == {
        "sku": "A",
        "available": 3,
        "previous_available": 4,
        "on_hand": 5,
        "reserved": 2,
        "version": 8,
    }
    first = available_changed_event(None, versioned(10, 1), NOW)
    assert first is not None
    assert (first.id, first.detail["previous_available"]) == ("stock:A:1", None)


def test_a_change_that_leaves_available_where_it_was_or_has_no_version_tells_nothing() -> None:
    assert available_changed_event(versioned(4, 7), versioned(4, 8), NOW) is None
    assert available_changed_event(totals(4), totals(3), NOW) is None  # written before versions


def test_the_relay_adds_the_stock_event_to_a_totals_change_and_not_to_a_locations() -> None:
    total = {**versioned(3, 8), "entity": "stock", "SK": "TOTAL"}
    change = TableChange("100", {**versioned(4, 7), "entity": "stock", "SK": "TOTAL"}, total)
    assert [e["type"] for e in events_of_change(change, threshold=5, at=NOW)] == ["StockAvailableChanged"]
    crossing = TableChange("101", {**versioned(6, 7), "entity": "stock", "SK": "TOTAL"}, total)
    assert [e["type"] for e in events_of_change(crossing, threshold=5, at=NOW)] == [
        "StockAvailableChanged",
        "LowStock",
    ]
    location = {**versioned(3, 8), "entity": "stock", "SK": "LOC#wh-east"}
    assert events_of_change(TableChange("102", versioned(4, 7), location), threshold=5, at=NOW) == []
