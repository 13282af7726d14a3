"""Counting stock in: a count of a SKU at some locations, planned against what is stored
(oms.stock.plan_count) and written all or nothing; a count that moved meanwhile is read again."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from oms.errors import ConcurrentModification, Conflict
from oms.models import StockLevel
from oms.stock import CountPlan, plan_count

ATTEMPTS = 5


class CountStore(Protocol):
    def levels_or_empty(self, sku: str) -> tuple[StockLevel | None, list[StockLevel]]: ...
    def write_count(self, plan: CountPlan, *, at: datetime, actor: str) -> None: ...


class StockDesk:
    def __init__(self, stock: CountStore) -> None:
        self.stock = stock

    def count(
        self, sku: str, counts: dict[str, int], *, at: datetime, actor: str, reason: str | None = None
    ) -> None:
        if not counts:
            return
        for _ in range(ATTEMPTS):
            current = {
                str(lv.location): lv for lv in self.stock.levels_or_empty(sku)[1] if lv.location in counts
            }
            try:
                self.stock.write_count(
                    plan_count(sku, counts, current, at, reason=reason), at=at, actor=actor
                )
            except ConcurrentModification:
                continue
            return
        raise Conflict(f"{sku} kept changing while it was counted; try again", code="concurrent_update")
