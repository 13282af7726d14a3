"""The services wired to their AWS-backed repositories: the one place every function gets them.

Stores and locations are cached for ``cache_seconds`` where settings a minute old are fine
(consumers); staff-facing functions pass 0 so a change is seen at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oms.data.carrier_registry import CarrierRegistry
from oms.data.export_repository import ExportRepository
from oms.data.intake_queue import IntakeQueue
from oms.data.job_queue import JobQueue
from oms.data.job_repository import JobRepository
from oms.data.order_repository import OrderRepository
from oms.data.page_link_key import PageLinks
from oms.data.return_repository import ReturnRepository
from oms.data.shipment_repository import ShipmentRepository
from oms.data.stock_repository import StockRepository
from oms.data.store_repository import LocationRepository, StoreRepository
from oms.data.variant_repository import VariantRepository
from oms.integrations.http_transport import Transport
from oms.integrations.webhook_transport import WebhookTransport
from oms.models import Store
from oms.services.after_sale import AfterSale
from oms.services.allocation_service import AllocationService
from oms.services.auto_fulfilment import AutoFulfilment
from oms.services.bulk_job_service import BulkJobs, JobDocuments, JobOperations
from oms.services.catalog_sync_service import CatalogSyncService
from oms.services.choice_desk import ChoiceDesk
from oms.services.completion_service import CompletionService
from oms.services.export_service import ExportService
from oms.services.fulfilment_events import FulfilmentEvents
from oms.services.intake_service import IntakeService
from oms.services.order_desk import OrderDesk
from oms.services.order_recovery_service import OrderRecovery, Readers
from oms.services.outbound_service import Outbound
from oms.services.privacy_service import PrivacyService
from oms.services.return_desk import ReturnDesk
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
    after_sale = AfterSale(shipments, stores, locations)
    returns = ReturnDesk(
        shipments,
        shipments.orders,
        ReturnRepository(shipments.table),
        stores,
        locations,
        after_sale,
        carriers,
    )
    tracking = TrackingService(shipments, carriers, returns)
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


# An order in full from its channel: the store, its API credentials and the channel's order id in.
DocumentReads = Callable[[Store, dict[str, Any] | None, str], dict[str, Any] | None]


def intake_service(
    settings: Settings | None = None, *, documents: DocumentReads | None = None
) -> IntakeService:
    """``documents``: reads the orders whose webhooks carry only their id (BigCommerce)."""
    settings = settings or get_settings()
    shipments = ShipmentRepository()
    table = shipments.table
    stores = StoreRepository(table, settings, cache_seconds=60)
    credentials: dict[str, tuple[float, dict[str, Any] | None]] = {}  # store -> (until, its API keys)

    def read(store: Store, channel_order_id: str) -> dict[str, Any] | None:
        assert documents is not None
        now = time.monotonic()
        cached = credentials.get(store.store_id)
        if cached is None or cached[0] < now:  # read again every 5 minutes: staff may fix them
            cached = credentials[store.store_id] = (now + 300, stores.api_credentials(store))
        return documents(store, cached[1], channel_order_id)

    return IntakeService(
        shipments,
        stores,
        LocationRepository(table, cache_seconds=60),
        StockRepository(table),
        VariantRepository(table),
        read if documents else None,
    )


def bulk_jobs(settings: Settings | None = None) -> BulkJobs:
    """The bulk jobs' service with every operation it may run (the jobs API and the worker)."""
    settings = settings or get_settings()
    services = fulfilment_services(settings, cache_seconds=0, retries_to_intake=True)
    table = services.shipments.table
    orders = OrderRepository(table)
    stores = StoreRepository(table, settings, cache_seconds=0)
    intake = IntakeQueue(settings)
    after_sale = AfterSale(services.shipments, stores, LocationRepository(table, cache_seconds=0), intake)
    desk = OrderDesk(orders, stores, intake)
    operations = JobOperations(after_sale, desk, services.allocation, services.shipping, services.shipments)
    files = JobDocuments(
        ExportRepository(table, settings),
        orders,
        services.shipments,
        LocationRepository(table, cache_seconds=0),
    )
    return BulkJobs(
        JobRepository(table), JobQueue(settings), services.shipments, orders, operations.table(), files
    )


def order_recovery(settings: Settings | None = None, *, readers: Readers) -> OrderRecovery:
    """Reconciliation (oms.missed_orders): the schedule's runs and the reconcile queue's, reading
    the channels' orders with ``readers``."""
    from oms.data.notification_sender import Sender
    from oms.data.reconcile_queue import ReconcileQueue
    from oms.data.reconciliation_repository import ReconciliationRepository

    settings = settings or get_settings()
    return OrderRecovery(
        StoreRepository(settings=settings),
        ReconciliationRepository(),
        OrderRepository(),
        IntakeQueue(settings),
        ReconcileQueue(settings),
        readers,
        Sender(settings).send,
    )


def catalog_sync(
    settings: Settings | None = None, *, channels: Callable[[Store, dict[str, Any] | None], Any]
) -> CatalogSyncService:
    """Catalogue syncs (oms.catalog_sync): their pages, reading each store's catalogue through
    ``channels`` and pushing levels through the inventory sync."""
    from oms.data.catalog_queue import CatalogQueue
    from oms.data.catalog_sync_repository import CatalogSyncRepository
    from oms.data.listing_repository import ListingRepository
    from oms.data.notification_sender import Sender
    from oms.services.inventory_sync_service import InventorySync

    settings = settings or get_settings()
    table = ShipmentRepository().table
    stores = StoreRepository(table, settings)
    listings = ListingRepository(table)
    return CatalogSyncService(
        stores,
        CatalogSyncRepository(table),
        listings,
        StockRepository(table),
        CatalogQueue(settings),
        channels,
        InventorySync(listings, stores, channels, Sender(settings).send),
    )


def privacy_service(settings: Settings | None = None) -> PrivacyService:
    """Privacy requests (oms.privacy): data requests, erasures, retention runs."""
    from oms.data.notification_sender import Sender
    from oms.data.order_search_index import OrderSearchIndex
    from oms.data.privacy_queue import PrivacyQueue
    from oms.data.privacy_repository import PrivacyFiles, PrivacyRepository

    settings = settings or get_settings()
    shipments = ShipmentRepository()
    table = shipments.table
    return PrivacyService(
        shipments,
        OrderRepository(table),
        OrderSearchIndex(table),
        StoreRepository(table, settings),
        PrivacyRepository(table),
        PrivacyFiles(settings),
        PrivacyQueue(settings),
        Sender(settings).send,
    )


def outbound(
    settings: Settings | None = None, *, transport: Callable[[], WebhookTransport] | None = None
) -> Outbound:
    """Outbound webhooks (oms.outbound_webhooks): fanning events out, delivering them."""
    from oms.data.delivery_queue import DeliveryQueue
    from oms.data.notification_sender import Sender
    from oms.data.subscription_repository import SubscriptionRepository
    from oms.integrations.webhook_transport import PinnedTransport

    settings = settings or get_settings()
    pinned = PinnedTransport()
    return Outbound(
        SubscriptionRepository(settings=settings, cache_seconds=30),
        DeliveryQueue(settings),
        transport or (lambda: pinned),
        Sender(settings).send,
    )


def export_service(settings: Settings | None = None) -> ExportService:
    settings = settings or get_settings()
    orders = OrderRepository(finish_pending=False)  # an export shows orders as they stand
    return ExportService(ExportRepository(orders.table, settings), orders, JobQueue(settings))


def choice_desk(settings: Settings | None = None) -> tuple[ChoiceDesk, OrderRepository]:
    """The customer choice page's service, and the orders repository its schedule reads."""
    settings = settings or get_settings()
    shipments = ShipmentRepository()
    stores = StoreRepository(shipments.table, settings, cache_seconds=0)
    intake = IntakeQueue(settings)
    after_sale = AfterSale(shipments, stores, LocationRepository(shipments.table), intake)
    desk = ChoiceDesk(PageLinks(settings), shipments, after_sale, stores, intake)
    return desk, OrderRepository(shipments.table, finish_pending=False)


def return_desk(settings: Settings | None = None, *, cache_seconds: float = 0.0) -> ReturnDesk:
    """Returns from request to refund (the returns API, the customer returns page, the tracking
    poller): the after-sale refund operation and the store's carrier behind it."""
    settings = settings or get_settings()
    shipments = ShipmentRepository()
    table = shipments.table
    stores = StoreRepository(table, settings, cache_seconds=cache_seconds)
    locations = LocationRepository(table, cache_seconds=cache_seconds)
    return ReturnDesk(
        shipments,
        shipments.orders,
        ReturnRepository(table),
        stores,
        locations,
        AfterSale(shipments, stores, locations),
        CarrierRegistry(settings),
    )
