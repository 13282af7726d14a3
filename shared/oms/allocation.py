"""Where each line of an order ships from.

The rules, in order (store settings in parentheses):
1. Only active locations that ship to the destination country (a location's ``ships_to``; empty
   means anywhere) and hold the stock (available, not yet promised to other shipments) count.
2. One location that can ship everything wins: one parcel, one label.
3. Otherwise the fewest locations that together cover the order (``allow_split``; when splitting is
   off the order waits for staff), each line taken from the best-ranked location first; a line may
   be split between locations.
4. Ties go to the store's ``location_priority`` (its order, unlisted locations after), then to a
   location in the destination's own country (``prefer_same_country``), then by location id.
If no combination can ship the order, the result says so and the order goes on hold
(``no_fulfilment_location``) with its stock still reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from oms.models import Location

# Above this many candidate locations, splits are chosen greedily rather than by full search.
EXACT_SEARCH_LIMIT = 8


@dataclass(frozen=True)
class AllocationRules:
    priority: tuple[str, ...] = ()
    allow_split: bool = True
    prefer_same_country: bool = True


def rank(locations: list[Location], rules: AllocationRules, country: str | None) -> list[Location]:
    def key(location: Location) -> tuple[int, int, str]:
        priority = (
            rules.priority.index(location.location_id)
            if location.location_id in rules.priority
            else len(rules.priority)
        )
        foreign = 0 if (rules.prefer_same_country and location.country_code == country) else 1
        return priority, foreign, location.location_id

    return sorted(locations, key=key)


def allocate(
    wanted: dict[str, int],
    locations: list[Location],
    available: dict[tuple[str, str], int],
    rules: AllocationRules,
    country: str | None,
) -> dict[str, dict[str, int]] | None:
    """location -> sku -> quantity covering ``wanted``, or None when nothing can ship it."""
    wanted = {sku: qty for sku, qty in wanted.items() if qty > 0}
    if not wanted:
        return {}
    eligible = [
        loc
        for loc in rank(locations, rules, country)
        if loc.can_ship_to(country) and any(available.get((loc.location_id, sku), 0) > 0 for sku in wanted)
    ]

    def covers(group: list[Location]) -> dict[str, dict[str, int]] | None:
        plan: dict[str, dict[str, int]] = {}
        for sku, qty in wanted.items():
            left = qty
            for loc in group:
                take = min(left, available.get((loc.location_id, sku), 0))
                if take > 0:
                    plan.setdefault(loc.location_id, {})[sku] = take
                    left -= take
                if not left:
                    break
            if left:
                return None
        return plan

    for loc in eligible:
        plan = covers([loc])
        if plan is not None:
            return plan
    if not rules.allow_split or len(eligible) < 2:
        return None
    if len(eligible) <= EXACT_SEARCH_LIMIT:
        for size in range(2, len(eligible) + 1):
            for group in combinations(eligible, size):  # in rank order: the best-ranked group first
                plan = covers(list(group))
                if plan is not None:
                    return {loc: lines for loc, lines in plan.items() if lines}
        return None
    # Many locations: greedily add the location covering the most of what is still missing.
    chosen: list[Location] = []
    missing = dict(wanted)
    while missing:
        best = max(
            (loc for loc in eligible if loc not in chosen),
            key=lambda loc: sum(min(q, available.get((loc.location_id, s), 0)) for s, q in missing.items()),
            default=None,
        )
        if best is None:
            return None
        gained = {s: min(q, available.get((best.location_id, s), 0)) for s, q in missing.items()}
        if not any(gained.values()):
            return None
        chosen.append(best)
        missing = {s: q - gained[s] for s, q in missing.items() if q - gained[s] > 0}
    return covers(rank(chosen, rules, country))
