"""For stores with ``auto_fulfil``: buy a label for every open shipment of an order and ship it,
as staff would (oms.services.shipping_service). Picks up where a failed run stopped (a label
already bought is not bought again); a shipment that cannot be labelled automatically (no address,
no rate) is left for staff."""

from __future__ import annotations

from oms.errors import BadRequest, Conflict
from oms.observability import logger
from oms.order_changes import Actor
from oms.ports import Shipments, Stores
from oms.services.shipping_service import ShippingService
from oms.shipments import OPEN, Shipment


class AutoFulfilment:
    def __init__(self, shipments: Shipments, stores: Stores, shipping: ShippingService) -> None:
        self.shipments, self.stores, self.shipping = shipments, stores, shipping

    def run(self, order_id: str, actor: Actor) -> list[Shipment]:
        order, shipments = self.shipments.order_with_shipments(order_id)
        store = self.stores.find(order.store_id) if order else None
        if (
            order is None
            or store is None
            or not store.settings.auto_fulfil
            or store.settings.carrier == "manual"
        ):
            return []
        shipped = []
        for shipment in shipments:
            if shipment.status not in OPEN or shipment.source != "oms":
                continue
            try:
                self.shipping.buy_label(shipment.shipment_id, actor)
                shipped.append(self.shipping.ship(shipment.shipment_id, actor))
            except (BadRequest, Conflict) as error:
                logger.warning(
                    "automatic fulfilment stopped; the shipment waits for staff",
                    extra={"shipment_id": shipment.shipment_id, "code": error.code},
                )
        return shipped
