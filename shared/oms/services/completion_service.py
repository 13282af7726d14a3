"""Completing delivered orders whose return window (store setting) has passed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms import fulfilment
from oms.errors import ConcurrentModification
from oms.fulfilment import FulfilmentChange
from oms.order_changes import Actor
from oms.ports import Shipments, Stores


class CompletionService:
    def __init__(self, shipments: Shipments, stores: Stores) -> None:
        self.shipments, self.stores = shipments, stores

    def complete_due(self, now: datetime, actor: Actor) -> list[str]:
        completed: list[str] = []
        cursor: dict[str, Any] | None = None
        while True:
            order_ids, cursor = self.shipments.delivered_orders(cursor)
            for order_id in order_ids:
                order, _ = self.shipments.order_with_shipments(order_id)
                if order is None:
                    continue
                change = fulfilment.complete(order, self.stores.find(order.store_id), now, actor)
                if change is None:
                    continue
                try:
                    self.shipments.save(FulfilmentChange(order=change))
                except ConcurrentModification:
                    continue  # changed meanwhile (a return?): tomorrow's run decides again
                completed.append(order_id)
            if not cursor:
                return completed
