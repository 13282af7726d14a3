"""Search terms of an order and how a query reads (oms.order_search); staff tags (oms.order_tags);
the search service over in-memory ports (oms.services.order_lookup)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from oms.errors import ServiceUnavailable, ValidationFailed
from oms.models import Customer
from oms.order_edits import keep_staff_changes
from oms.order_search import OrderImages, SearchAsk, Term, email_value, read_query, terms_of
from oms.order_tags import retag, staff_tags
from oms.services.order_lookup import OrderLookup
from tests.unit.builders import actor, shopify_payload, snapshot
from tests.unit.test_notification_plan import order


def test_an_order_is_found_by_its_number_email_skus_and_tags_case_folded() -> None:
    placed = order().model_copy(
        update={"customer": Customer(email=" Ada@Example.COM"), "tags": ["VIP", "Gift Wrap"]}
    )
    terms = terms_of(placed)
    assert Term("number", "1001") in terms
    assert Term("sku", "a") in terms
    assert {Term("tag", "vip"), Term("tag", "gift wrap")} <= terms
    (email,) = [t for t in terms if t.kind == "email"]
    assert email.value == email_value("ada@example.com")
    assert "ada" not in email.value.casefold()
    assert "example" not in email.value


@pytest.mark.parametrize(
    ("q", "value", "kinds"),
    [
        ("#1001", "1001", {"number", "sku", "tag"}),
        ("1001", "1001", {"number", "sku", "tag"}),
        ("number: #1001", "1001", {"number"}),
        ("SKU:Tee-Blue", "tee-blue", {"sku"}),
        ("tag:VIP", "vip", {"tag"}),
        ("Ada@Example.com", email_value("ada@example.com"), {"email"}),
        ("email:ada@example.com", email_value("ada@example.com"), {"email"}),
        ("note:late", "note:late", {"number", "sku", "tag"}),  # not a kind: the text as it is
    ],
)
def test_a_query_names_one_value_and_the_kinds_it_may_match(q: str, value: str, kinds: set[str]) -> None:
    assert read_query(q) == SearchAsk(value, frozenset(kinds))


@pytest.mark.parametrize("q", ["", "   ", "#", "email:nobody", "sku:", "x" * 201])
def test_a_query_with_nothing_to_look_for_is_refused_naming_q(q: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_query(q)
    assert (refused.value.code, refused.value.details) == ("invalid_query", [{"field": "q"}])


def test_staff_tags_are_added_and_removed_case_insensitively_once() -> None:
    before = order().model_copy(update={"tags": ["gift", "Rush"]})
    change = retag(before, ["VIP", "rush"], ["GIFT"], actor("staff:ada"))
    assert change is not None
    after = change.order
    assert after.tags == ["Rush", "VIP"]
    assert after.tag_changes == {"VIP": True, "rush": True, "GIFT": False}
    (event,) = change.events
    assert (event.type, event.detail["added"], event.detail["removed"]) == (
        "OrderTagsChanged",
        ["VIP"],
        ["gift"],
    )
    assert after.timeline[-1].reason == "tags changed"
    assert after.version == before.version + 1
    assert retag(after, ["vip"], ["gift"], actor("staff:ada")) is None  # tagged so already: nothing


def test_a_tag_added_and_removed_at_once_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        retag(order(), ["a"], ["A"], actor("staff:ada"))
    assert refused.value.code == "conflicting_tags"


def test_staff_tags_are_kept_over_the_channels_next_view() -> None:
    change = retag(order().model_copy(update={"tags": ["gift"]}), ["VIP"], ["gift"], actor("staff:ada"))
    assert change is not None
    again = snapshot(shopify_payload(lines={"A": 1})).model_copy(update={"tags": ["gift", "wholesale"]})
    assert keep_staff_changes(again, change.order).tags == ["wholesale", "VIP"]
    assert staff_tags(["x"], {}) == ["x"]


class MemoryTerms:
    def __init__(self, fail_on: str | None = None) -> None:
        self.items: dict[tuple[str, Term], datetime] = {}
        self.fail_on = fail_on

    def reindex(self, order_id: str, placed_at: datetime, old: frozenset[Term], new: frozenset[Term]) -> int:
        if order_id == self.fail_on:
            raise ServiceUnavailable("down")
        for t in old - new:
            self.items.pop((order_id, t), None)
        for t in new - old:
            self.items[(order_id, t)] = placed_at
        return len(old ^ new)

    def find(self, ask: SearchAsk, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        hits = sorted(
            {
                (at, oid)
                for (oid, t), at in self.items.items()
                if t.value == ask.value and t.kind in ask.kinds
            },
            reverse=True,
        )
        return [oid for _, oid in hits][:limit], None


class MemorySummaries:
    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows

    def summaries(self, order_ids: list[str]) -> list[dict[str, Any]]:
        return [self.rows[i] for i in order_ids if i in self.rows]


def test_reindexing_writes_only_the_difference_and_stops_at_the_first_failure() -> None:
    first = order()
    tagged = first.model_copy(update={"tags": ["vip"]})
    other = first.model_copy(update={"order_id": "unit-shop.1002", "number": "#1002"})
    terms = MemoryTerms(fail_on="unit-shop.1002")
    lookup = OrderLookup(terms, MemorySummaries({}))
    report = lookup.reindex(
        [
            OrderImages("1", None, first),
            OrderImages("2", first, first),  # a status change: no term moved
            OrderImages("3", first, tagged),
            OrderImages("4", None, other),
            OrderImages("5", None, other),
        ]
    )
    assert (report.orders, report.writes, report.failed_at) == (3, len(terms_of(first)) + 1, "4")
    assert {t for (_, t) in terms.items} == set(terms_of(tagged))


def test_a_search_returns_summaries_narrowed_by_the_listings_filters() -> None:
    a, b = order(), order().model_copy(update={"order_id": "unit-shop.1002", "number": "#1002"})
    terms = MemoryTerms()
    for o in (a, b):
        terms.reindex(o.order_id, o.placed_at, frozenset(), terms_of(o))
    rows = {
        a.order_id: {"order_id": a.order_id, "status": "confirmed"},
        b.order_id: {"order_id": b.order_id, "status": "on_hold"},
    }
    lookup = OrderLookup(terms, MemorySummaries(rows))
    assert [o["order_id"] for o in lookup.search("sku:A", limit=10, cursor=None).orders] == sorted(
        [a.order_id, b.order_id], reverse=True
    )
    narrowed = lookup.search("A", limit=10, cursor=None, filters={"status": "on_hold", "channel": ""})
    assert [o["order_id"] for o in narrowed.orders] == [b.order_id]
