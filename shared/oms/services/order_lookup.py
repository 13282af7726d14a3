"""Finding orders (``GET /orders?q=``) and keeping the search index that serves it.

The index follows the orders through the table's stream (the search indexer): each write of an
order puts the terms it gained and deletes those it lost, so a search sees a change about a second
after it is committed. A search reads one page of order ids from the index and their summaries in
one batch read; the listing's other filters (status, channel, store) apply to those summaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oms.errors import ServiceUnavailable
from oms.order_search import OrderImages, read_query, terms_of
from oms.ports import OrderSummaries, SearchTerms


@dataclass(frozen=True)
class Found:
    orders: list[dict[str, Any]]
    cursor: str | None


@dataclass(frozen=True)
class Reindexed:
    orders: int = 0
    writes: int = 0
    failed_at: str | None = None  # the record to resume from (the stream keeps the rest in order)
    error: str | None = None


class OrderLookup:
    def __init__(self, terms: SearchTerms, orders: OrderSummaries) -> None:
        self.terms, self.orders = terms, orders

    def search(
        self, q: str, *, limit: int, cursor: str | None, filters: dict[str, str] | None = None
    ) -> Found:
        ids, next_cursor = self.terms.find(read_query(q), limit=limit, cursor=cursor)
        found = self.orders.summaries(ids) if ids else []
        wanted = {k: v for k, v in (filters or {}).items() if v}
        return Found([s for s in found if all(s.get(k) == v for k, v in wanted.items())], next_cursor)

    def reindex(self, changes: list[OrderImages]) -> Reindexed:
        """Apply each order write's difference of terms, in stream order; stop at the first
        failure (what follows is handed over again from there, still in order)."""
        orders = writes = 0
        for change in changes:
            order = change.new or change.old
            if order is None:
                continue
            old = terms_of(change.old) if change.old else frozenset()
            new = terms_of(change.new) if change.new else frozenset()
            if change.old and change.new and change.old.placed_at != change.new.placed_at:
                old = frozenset()  # the index's sort key moved: write every term again
            try:
                writes += self.terms.reindex(order.order_id, order.placed_at, old, new)
            except ServiceUnavailable as exc:  # resume from this record
                return Reindexed(orders, writes, change.sequence, str(exc)[:300])
            orders += 1
        return Reindexed(orders, writes)
