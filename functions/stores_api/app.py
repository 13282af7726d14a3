"""Admin API for stores: POST /stores, GET /stores, GET|PATCH /stores/{store_id}, and a store's
variant map: GET /stores/{store_id}/variants, PUT /stores/{store_id}/variants/{variant_key}, and
reconciliation: POST /stores/{store_id}/reconcile, GET /stores/{store_id}/reconciliation; the
catalogue sync: POST|GET /stores/{store_id}/catalog-sync; and the stock sync's health:
GET /stores/{store_id}/stock-sync."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import base_url, create_app, json_response, model_response, responses, staff_actor
from oms.admin_requests import (
    CatalogSyncRequest,
    ReconcileRequest,
    StoreCreate,
    StoreUpdate,
    VariantMappingRequest,
)
from oms.admin_responses import (
    CatalogSyncView,
    ReconcileRunView,
    ReconciliationView,
    StockSyncView,
    StorePage,
    StoreView,
    VariantPage,
)
from oms.api_params import Cursor, Limit100, StoreId
from oms.data.catalog_queue import CatalogQueue
from oms.data.catalog_sync_repository import CatalogSyncRepository
from oms.data.listing_repository import ListingRepository
from oms.data.reconcile_queue import ReconcileQueue
from oms.data.reconciliation_repository import ReconciliationRepository
from oms.data.store_repository import StoreRepository
from oms.data.variant_repository import VariantRepository
from oms.inventory_sync import store_syncs
from oms.line_identity import VARIANT_KEY_PATTERN, VariantMapping
from oms.models import Store
from oms.observability import lambda_handler_of, logger
from oms.services.catalog_sync_service import start_run
from oms.services.order_recovery_service import request_run
from oms.services.store_admin import StoreAdmin
from oms.timeutil import utcnow

app = create_app()
stores = StoreRepository()
variants = VariantRepository(stores.table)
catalogs = CatalogSyncRepository(stores.table)
catalog_pages = CatalogQueue()
admin = StoreAdmin(
    stores,
    variants,
    catalog=lambda store, actor, now: start_run(
        store, catalogs, catalog_pages, actor=actor, repush=False, now=now
    ),
)
runs = ReconcileQueue()
reconciliations = ReconciliationRepository(stores.table)
listings = ListingRepository(stores.table)


def _public(store: Store, secret: str | None = None) -> StoreView:
    url = f"{base_url(app)}/webhooks/{store.channel}/{store.store_id}"
    return StoreView(**dict(store), webhook_url=url, webhook_secret=secret)


def _store_response(status: int, view: StoreView) -> Any:
    # The secret is in the body only the once it was generated; never an empty field for it.
    return model_response(status, view, exclude=None if view.webhook_secret else {"webhook_secret"})


@app.post(
    "/stores", summary="Register a store", tags=["stores"], responses=responses(201, 409, model=StoreView)
)
def create_store(body: StoreCreate) -> Any:
    store, generated = admin.register(body, utcnow())
    logger.info("store registered", extra={"store_id": store.store_id, "channel": store.channel})
    # A secret we generated is shown once: paste it into WooCommerce's webhook form.
    return _store_response(201, _public(store, generated))


@app.get("/stores", summary="List stores", tags=["stores"], responses=responses(200, 400, model=StorePage))
def list_stores(limit: Limit100 = 50, cursor: Cursor = None) -> Any:
    page = stores.list(limit=limit, cursor=cursor)
    return json_response(200, {"stores": page.items, "cursor": page.cursor})


@app.get(
    "/stores/<store_id>", summary="One store", tags=["stores"], responses=responses(200, 404, model=StoreView)
)
def get_store(store_id: StoreId) -> Any:
    return _store_response(200, _public(stores.get(store_id)))


@app.patch(
    "/stores/<store_id>",
    summary="Rename, change settings, rotate secrets",
    tags=["stores"],
    responses=responses(200, 400, 404, model=StoreView),
)
def update_store(store_id: StoreId, body: StoreUpdate) -> Any:
    return _store_response(200, _public(admin.update(store_id, body, utcnow(), actor=staff_actor(app))))


@app.get(
    "/stores/<store_id>/variants",
    summary="The store's variant map: channel variants without a SKU (mapped=false: still to map)",
    tags=["stores"],
    responses=responses(200, 400, 404, model=VariantPage),
)
def list_variants(
    store_id: StoreId,
    mapped: Annotated[bool | None, Query()] = None,
    limit: Limit100 = 50,
    cursor: Cursor = None,
) -> Any:
    stores.get(store_id)
    page = variants.list(store_id, mapped=mapped, limit=limit, cursor=cursor)
    return json_response(200, {"variants": page.items, "cursor": page.cursor})


@app.put(
    "/stores/<store_id>/variants/<variant_key>",
    summary="Map a channel variant to a SKU, or mark it as holding no stock",
    tags=["stores"],
    responses=responses(200, 404, model=VariantMapping),
)
def map_variant(
    store_id: StoreId,
    variant_key: Annotated[str, Path(pattern=VARIANT_KEY_PATTERN)],
    body: VariantMappingRequest,
) -> Any:
    mapping = admin.map_variant(store_id, variant_key, body, actor=staff_actor(app), now=utcnow())
    logger.info("variant mapped", extra={"store_id": store_id, "variant_key": variant_key})
    return model_response(200, mapping)


@app.post(
    "/stores/<store_id>/reconcile",
    summary="Look for orders the store's webhooks missed: those its channel says changed in a window",
    tags=["stores"],
    responses=responses(202, 400, 404, 409, model=ReconcileRunView),
)
def reconcile(store_id: StoreId, body: ReconcileRequest) -> Any:
    run = request_run(
        stores.find(store_id), runs, body.since, body.until, actor=staff_actor(app), now=utcnow()
    )
    logger.info("reconciliation asked for", extra={"store_id": store_id, "run_id": run.run_id})
    return model_response(
        202,
        ReconcileRunView(**run.model_dump(include={"store_id", "since", "until"}), status="queued"),
    )


@app.get(
    "/stores/<store_id>/reconciliation",
    summary="The store's reconciliation: its watermark and last run",
    tags=["stores"],
    responses=responses(200, 404, model=ReconciliationView),
)
def get_reconciliation(store_id: StoreId) -> Any:
    stores.get(store_id)
    record = reconciliations.get(store_id)
    return model_response(
        200, ReconciliationView(**dict(record)) if record else ReconciliationView(store_id=store_id)
    )


@app.post(
    "/stores/<store_id>/catalog-sync",
    summary="Read the store's catalogue: learn its SKUs' ids, push their levels, report one-sided SKUs",
    tags=["stores"],
    responses=responses(202, 404, 409, model=CatalogSyncView),
)
def catalog_sync(store_id: StoreId, body: CatalogSyncRequest) -> Any:
    record = start_run(
        stores.find(store_id),
        catalogs,
        catalog_pages,
        actor=staff_actor(app),
        repush=body.repush,
        now=utcnow(),
    )
    logger.info("catalogue sync asked for", extra={"store_id": store_id, "run_id": record.run_id})
    return model_response(202, CatalogSyncView.of(record, store_id))


@app.get(
    "/stores/<store_id>/catalog-sync",
    summary="The store's catalogue sync under way, or its last one",
    tags=["stores"],
    responses=responses(200, 404, model=CatalogSyncView),
)
def get_catalog_sync(store_id: StoreId) -> Any:
    stores.get(store_id)
    return model_response(200, CatalogSyncView.of(catalogs.get(store_id), store_id))


@app.get(
    "/stores/<store_id>/stock-sync",
    summary="Whether the store's stock is set from ours, and the last push its channel refused",
    tags=["stores"],
    responses=responses(200, 404, model=StockSyncView),
)
def get_stock_sync(store_id: StoreId) -> Any:
    store = stores.get(store_id)
    return model_response(
        200,
        StockSyncView(
            store_id=store_id, syncs=store_syncs(store), last_problem=listings.last_problem(store_id)
        ),
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
