"""Releasing orders waiting for stock when it arrives or is freed (a count, a cancellation, a
restocking refund; oms.backorders decides which): orders held out of stock, and orders with
backordered lines. Each is queued to the intake as a retry, which reserves what the stock still
covers when it runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.backorders import freed_by, releasable, restocked_sku
from oms.intake_message import RETRY_TOPIC, IntakeMessage
from oms.ports import HeldOrders, IntakeQueue, StockLevels
from oms.timeutil import iso

ACTOR = "system:backorder-release"


@dataclass
class Released:
    sku: str | None
    held: int = 0  # orders held short of the SKU
    queued: list[str] = field(default_factory=list)  # retried now, oldest first


class BackorderRelease:
    def __init__(self, orders: HeldOrders, stock: StockLevels, intake: IntakeQueue) -> None:
        self.orders, self.stock, self.intake = orders, stock, intake

    def after_stock_event(self, detail: dict[str, Any], event_id: str, now: datetime) -> Released:
        """One StockAdjusted event. Redelivered, it queues the same messages again, which the
        intake queue deduplicates (their ids come from the event's); a retry that finds the order
        already released, or still short, changes nothing."""
        sku = restocked_sku(detail)
        if sku is None:
            return Released(None)
        return self._release(sku, event_id, now)

    def after_event(self, kind: str, detail: dict[str, Any], event_id: str, now: datetime) -> list[Released]:
        """Any event that made more of some SKUs available (oms.backorders.freed_by): a count,
        a cancellation, a refund that restocked or cancelled units."""
        return [self._release(sku, event_id, now) for sku in freed_by(kind, detail)]

    def _release(self, sku: str, event_id: str, now: datetime) -> Released:
        held = self.orders.waiting_for(sku)
        if not held:
            return Released(sku)
        needed = sorted({s for order in held for s in order.short})
        available = {s: level.available for s, level in self.stock.totals(needed).items()}
        released = Released(sku, held=len(held))
        for order in releasable(held, available):
            self.intake.enqueue(
                IntakeMessage(
                    channel=order.channel,
                    store_id=order.store_id,
                    topic=RETRY_TOPIC,
                    event_id=f"release:{order.order_id}:{event_id}",
                    channel_order_id=order.channel_order_id,
                    body=json.dumps({"channel_order_id": order.channel_order_id}),
                    received_at=iso(now),
                    attributes={"actor": ACTOR},
                )
            )
            released.queued.append(order.order_id)
        return released
