"""The fulfilment service wired to its AWS-backed repositories (one place for every function)."""

from __future__ import annotations

from oms.data.carriers import CarrierRegistry
from oms.data.shipments import ShipmentStore
from oms.data.stock import StockRepository
from oms.data.stores import LocationRepository, StoreRepository
from oms.fulfilment_service import FulfilmentService
from oms.integrations.http import Transport
from oms.settings import Settings, get_settings


def fulfilment_service(
    settings: Settings | None = None, *, cache_seconds: float = 60.0, transport: Transport | None = None
) -> tuple[FulfilmentService, ShipmentStore]:
    """Stores and locations are cached for ``cache_seconds`` (settings a minute old are fine)."""
    settings = settings or get_settings()
    shipments = ShipmentStore()
    service = FulfilmentService(
        shipments,
        StoreRepository(shipments.table, settings, cache_seconds=cache_seconds),
        LocationRepository(shipments.table, cache_seconds=cache_seconds),
        StockRepository(shipments.table),
        CarrierRegistry(settings, transport),
    )
    return service, shipments
