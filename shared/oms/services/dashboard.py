"""The merchant's day at a glance (the admin app's home): orders in since a time, what waits to
ship and what is late, holds by reason, returns waiting. Counts, not lists: each is a COUNT query
on one partition (active statuses), never a scan of the table, and each stops at ``COUNT_CAP``
(shown as "1000+"): a backlog of tens of thousands of orders would otherwise cost megabytes of
reads on every refresh of every open screen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from oms.order_lifecycle import OrderStatus
from oms.return_lifecycle import ReturnStatus

COUNT_CAP = 1000

TO_SHIP = (OrderStatus.CONFIRMED, OrderStatus.FULFILLING, OrderStatus.PARTIALLY_SHIPPED)
WAITING = (OrderStatus.PLACED, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD)
RETURNS_WAITING = (
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
)


class OrderCounts(Protocol):
    def count(
        self,
        *,
        status: str | None = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        now: datetime,
        cap: int | None = None,
    ) -> int: ...
    def hold_reasons(self, cap: int | None = None) -> dict[str, int]: ...


class ReturnCounts(Protocol):
    def count(self, status: str, cap: int | None = None) -> int: ...


class Dashboard:
    def __init__(self, orders: OrderCounts, returns: ReturnCounts, cap: int = COUNT_CAP) -> None:
        self.orders = orders
        self.returns = returns
        self.cap = cap

    def today(self, *, since: datetime, late_after: timedelta, now: datetime) -> dict[str, object]:
        cap = self.cap
        to_ship = {s.value: self.orders.count(status=s.value, now=now, cap=cap) for s in TO_SHIP}
        late_before = now - late_after
        late = min(
            cap,
            sum(self.orders.count(status=s.value, placed_to=late_before, now=now, cap=cap) for s in TO_SHIP),
        )
        return {
            "since": since,
            "count_cap": cap,
            "orders_in": self.orders.count(placed_from=since, now=now, cap=cap),
            "to_ship": to_ship,
            "late": late,
            "late_before": late_before,
            "waiting": {s.value: self.orders.count(status=s.value, now=now, cap=cap) for s in WAITING},
            "on_hold_by_reason": self.orders.hold_reasons(cap=cap),
            "returns_waiting": {s.value: self.returns.count(s.value, cap=cap) for s in RETURNS_WAITING},
        }
