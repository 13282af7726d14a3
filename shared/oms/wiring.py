"""The fulfilment service wired to its AWS-backed repositories (one place for every function)."""

from __future__ import annotations

from oms.data.carrier_registry import CarrierRegistry
from oms.data.shipment_repository import ShipmentRepository
from oms.data.stock_repository import StockRepository
from oms.data.store_repository import LocationRepository, StoreRepository
from oms.fulfilment_service import FulfilmentService
from oms.integrations.http_transport import Transport
from oms.settings import Settings, get_settings


def fulfilment_service(
    settings: Settings | None = None, *, cache_seconds: float = 60.0, transport: Transport | None = None
) -> tuple[FulfilmentService, ShipmentRepository]:
    """Stores and locations are cached for ``cache_seconds`` (settings a minute old are fine)."""
    settings = settings or get_settings()
    shipments = ShipmentRepository()
    service = FulfilmentService(
        shipments,
        StoreRepository(shipments.table, settings, cache_seconds=cache_seconds),
        LocationRepository(shipments.table, cache_seconds=cache_seconds),
        StockRepository(shipments.table),
        CarrierRegistry(settings, transport),
    )
    return service, shipments
