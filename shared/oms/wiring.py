"""The services wired to their AWS-backed repositories: the one place every function gets them.

Stores and locations are cached for ``cache_seconds`` where settings a minute old are fine
(consumers); staff-facing functions pass 0 so a change is seen at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms.data.carrier_registry import CarrierRegistry
from oms.data.intake_queue import IntakeQueue
from oms.data.shipment_repository import ShipmentRepository
from oms.data.stock_repository import StockRepository
from oms.data.store_repository import LocationRepository, StoreRepository
from oms.data.variant_repository import VariantRepository
from oms.integrations.http_transport import Transport
from oms.services.allocation_service import AllocationService
from oms.services.auto_fulfilment import AutoFulfilment
from oms.services.completion_service import CompletionService
from oms.services.fulfilment_events import FulfilmentEvents
from oms.services.intake_service import IntakeService
from oms.services.shipping_service import ShippingService
from oms.services.tracking_service import TrackingService
from oms.settings import Settings, get_settings


@dataclass
class FulfilmentServices:
    shipments: ShipmentRepository
    allocation: AllocationService
    shipping: ShippingService
    auto: AutoFulfilment
    tracking: TrackingService
    completion: CompletionService

    @property
    def events(self) -> FulfilmentEvents:
        return FulfilmentEvents(self.shipments, self.allocation, self.auto, self.shipping)


def fulfilment_services(
    settings: Settings | None = None,
    *,
    cache_seconds: float = 60.0,
    transport: Transport | None = None,
    retries_to_intake: bool = False,
) -> FulfilmentServices:
    """``retries_to_intake``: staff steps that settle a hold queue the order for the intake to
    decide again (the function needs the intake queue's URL and send permission)."""
    settings = settings or get_settings()
    shipments = ShipmentRepository()
    stores = StoreRepository(shipments.table, settings, cache_seconds=cache_seconds)
    locations = LocationRepository(shipments.table, cache_seconds=cache_seconds)
    carriers = CarrierRegistry(settings, transport)
    tracking = TrackingService(shipments, carriers)
    shipping = ShippingService(
        shipments, stores, locations, carriers, tracking, IntakeQueue(settings) if retries_to_intake else None
    )
    return FulfilmentServices(
        shipments=shipments,
        allocation=AllocationService(shipments, stores, locations, StockRepository(shipments.table)),
        shipping=shipping,
        auto=AutoFulfilment(shipments, stores, shipping),
        tracking=tracking,
        completion=CompletionService(shipments, stores),
    )


def intake_service(settings: Settings | None = None) -> IntakeService:
    settings = settings or get_settings()
    shipments = ShipmentRepository()
    table = shipments.table
    return IntakeService(
        shipments,
        StoreRepository(table, settings, cache_seconds=60),
        LocationRepository(table, cache_seconds=60),
        StockRepository(table),
        VariantRepository(table),
    )
