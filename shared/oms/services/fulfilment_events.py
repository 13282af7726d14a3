"""What the fulfilment function does with each event it is sent (a bus rule feeds its queue):

- OrderConfirmed, OrderUpdated, BackorderFilled: allocate what the order has to ship and no shipment carries
  (an edit may have added some), then, where the store auto-fulfils, label and ship it;
- ShipmentCancelled, ShipmentChanged with labels to void: void them at their carriers.

Every step reads the current state, so a redelivered or out-of-order event changes nothing done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.errors import NotFound
from oms.order_changes import Actor
from oms.ports import Shipments
from oms.services.allocation_service import AllocationService
from oms.services.auto_fulfilment import AutoFulfilment
from oms.services.shipping_service import ShippingService

ALLOCATING = frozenset({"OrderConfirmed", "OrderUpdated", "BackorderFilled"})
VOIDING = frozenset({"ShipmentCancelled", "ShipmentChanged"})


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    auto_shipped: list[str] = field(default_factory=list)
    voided: int = 0


class FulfilmentEvents:
    def __init__(
        self,
        shipments: Shipments,
        allocation: AllocationService,
        auto: AutoFulfilment,
        shipping: ShippingService,
    ) -> None:
        self.shipments, self.allocation, self.auto, self.shipping = shipments, allocation, auto, shipping

    def handle(self, detail_type: str, detail: dict[str, Any], actor: Actor) -> Outcome:
        outcome = Outcome()
        if detail_type in ALLOCATING:
            order_id = str(detail.get("order_id", ""))
            created = self.allocation.allocate(order_id, actor)
            outcome.created = [s.shipment_id for s in created]
            outcome.locations = sorted({s.location for s in created})
            outcome.auto_shipped = [s.shipment_id for s in self.auto.run(order_id, actor)]
        elif detail_type in VOIDING and detail.get("labels_to_void"):
            try:
                shipment = self.shipments.get(str(detail.get("shipment_id", "")))
            except NotFound:
                return outcome
            outcome.voided = len(self.shipping.void_labels(shipment, actor))
        return outcome
