"""The merchant's day at a glance (the admin app's home): orders in since a time, what waits to
ship and what is late, holds by reason, returns waiting. Counts, not lists: each is a COUNT query
on a small partition (active statuses), never a scan of the table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from oms.order_lifecycle import OrderStatus
from oms.return_lifecycle import ReturnStatus

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
    ) -> int: ...
    def hold_reasons(self) -> dict[str, int]: ...


class ReturnCounts(Protocol):
    def count(self, status: str) -> int: ...


class Dashboard:
    def __init__(self, orders: OrderCounts, returns: ReturnCounts) -> None:
        self.orders = orders
        self.returns = returns

    def today(self, *, since: datetime, late_after: timedelta, now: datetime) -> dict[str, object]:
        to_ship = {s.value: self.orders.count(status=s.value, now=now) for s in TO_SHIP}
        late_before = now - late_after
        late = sum(self.orders.count(status=s.value, placed_to=late_before, now=now) for s in TO_SHIP)
        return {
            "since": since,
            "orders_in": self.orders.count(placed_from=since, now=now),
            "to_ship": to_ship,
            "late": late,
            "late_before": late_before,
            "waiting": {s.value: self.orders.count(status=s.value, now=now) for s in WAITING},
            "on_hold_by_reason": self.orders.hold_reasons(),
            "returns_waiting": {s.value: self.returns.count(s.value) for s in RETURNS_WAITING},
        }
