"""Where each line ships from (oms.allocation.allocate), rule by rule."""

from __future__ import annotations

import pytest

from oms.allocation import AllocationRules, allocate, rank
from tests.unit.builders import location

EAST, WEST, NORTH = (
    location("wh-east", ships_to=["US", "CA"]),
    location("wh-west"),
    location("wh-north", "CA"),
)


def stock(**levels: dict[str, int]) -> dict[tuple[str, str], int]:
    return {(loc.replace("_", "-"), sku): qty for loc, skus in levels.items() for sku, qty in skus.items()}


def test_one_location_that_has_everything_wins_over_a_split() -> None:
    available = stock(wh_east={"A": 1, "B": 1}, wh_west={"A": 5, "B": 5})
    assert allocate({"A": 1, "B": 1}, [EAST, WEST], available, AllocationRules(), "US") == {
        "wh-east": {"A": 1, "B": 1}
    }


def test_priority_breaks_ties_then_the_destination_country_then_the_id() -> None:
    available = stock(wh_east={"A": 5}, wh_west={"A": 5}, wh_north={"A": 5})
    assert allocate(
        {"A": 1}, [EAST, WEST, NORTH], available, AllocationRules(priority=("wh-west",)), "US"
    ) == {"wh-west": {"A": 1}}
    assert allocate({"A": 1}, [EAST, WEST, NORTH], available, AllocationRules(), "CA") == {
        "wh-north": {"A": 1}
    }
    assert allocate({"A": 1}, [WEST, NORTH], available, AllocationRules(prefer_same_country=False), "CA") == {
        "wh-north": {"A": 1}
    }
    assert [loc.location_id for loc in rank([WEST, EAST], AllocationRules(), None)] == ["wh-east", "wh-west"]


def test_the_fewest_locations_cover_an_order_and_a_line_may_be_split() -> None:
    available = stock(wh_east={"A": 1, "C": 2}, wh_west={"B": 1, "C": 1})
    plan = allocate(
        {"A": 1, "B": 1, "C": 3}, [EAST, WEST], available, AllocationRules(priority=("wh-east",)), "US"
    )
    assert plan == {"wh-east": {"A": 1, "C": 2}, "wh-west": {"B": 1, "C": 1}}


def test_with_splitting_off_an_order_two_places_must_ship_is_not_planned() -> None:
    available = stock(wh_east={"A": 1}, wh_west={"B": 1})
    assert (
        allocate({"A": 1, "B": 1}, [EAST, WEST], available, AllocationRules(allow_split=False), "US") is None
    )


def test_locations_that_do_not_ship_there_or_are_inactive_do_not_count() -> None:
    available = stock(wh_east={"A": 5}, wh_west={"A": 5})
    assert allocate({"A": 1}, [EAST], available, AllocationRules(), "JP") is None
    closed = location("wh-west", active=False)
    assert allocate({"A": 1}, [closed], available, AllocationRules(), "US") is None


def test_nothing_wanted_is_an_empty_plan_and_not_enough_anywhere_is_none() -> None:
    assert allocate({"A": 0}, [EAST], {}, AllocationRules(), "US") == {}
    assert (
        allocate({"A": 9}, [EAST, WEST], stock(wh_east={"A": 4}, wh_west={"A": 4}), AllocationRules(), "US")
        is None
    )


@pytest.mark.parametrize("count", [9, 12])
def test_with_many_locations_a_greedy_plan_still_covers_the_order(count: int) -> None:
    locations = [location(f"wh-{i:02d}") for i in range(count)]
    available = {(f"wh-{i:02d}", f"S{i}"): 1 for i in range(count)}
    wanted = {f"S{i}": 1 for i in range(count)}
    plan = allocate(wanted, locations, available, AllocationRules(), "US")
    assert plan is not None
    assert sorted(sku for lines in plan.values() for sku in lines) == sorted(wanted)


def test_with_many_locations_a_split_is_built_greedily_from_the_location_that_covers_most() -> None:
    many = [location(f"wh-{i:02d}") for i in range(10)]  # more than the exact search handles
    available = {(f"wh-{i:02d}", "A"): 1 for i in range(10)} | {("wh-09", "B"): 1}
    plan = allocate({"A": 3, "B": 1}, many, available, AllocationRules(), "US")
    assert plan == {"wh-00": {"A": 1}, "wh-01": {"A": 1}, "wh-09": {"A": 1, "B": 1}}
    assert allocate({"A": 11}, many, available, AllocationRules(), "US") is None


def test_at_the_exact_search_limit_the_fewest_locations_are_found() -> None:
    from oms.allocation import EXACT_SEARCH_LIMIT

    locs = [location(f"wh-{i:02d}") for i in range(EXACT_SEARCH_LIMIT)]
    # Eight candidates: wh-00 holds a little of both, wh-01..05 one A each, wh-06 and wh-07
    # together hold all of it. A greedy start from wh-00 would need three locations.
    available = {("wh-00", "A"): 1, ("wh-00", "B"): 1, ("wh-06", "A"): 2, ("wh-07", "B"): 2}
    available |= {(f"wh-{i:02d}", "A"): 1 for i in range(1, 6)}
    plan = allocate({"A": 2, "B": 2}, locs, available, AllocationRules(), "US")
    assert plan == {"wh-06": {"A": 2}, "wh-07": {"B": 2}}
