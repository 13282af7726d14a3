"""Admin API for stores: POST /stores, GET /stores, GET|PATCH /stores/{store_id}, and a store's
variant map: GET /stores/{store_id}/variants, PUT /stores/{store_id}/variants/{variant_key}."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import base_url, create_app, json_response, responses, staff_actor
from oms.admin_requests import StoreCreate, StoreUpdate, VariantMappingRequest
from oms.data.store_repository import StoreRepository
from oms.data.variant_repository import VariantRepository
from oms.identifiers import STORE_ID_PATTERN
from oms.line_identity import VARIANT_KEY_PATTERN
from oms.models import Store
from oms.observability import lambda_handler_of, logger
from oms.services.store_admin import StoreAdmin
from oms.timeutil import utcnow

app = create_app()
stores = StoreRepository()
variants = VariantRepository(stores.table)
admin = StoreAdmin(stores, variants)

StoreId = Annotated[str, Path(pattern=STORE_ID_PATTERN)]


def _public(store: Store) -> dict[str, Any]:
    return {
        **store.model_dump(mode="json"),
        "webhook_url": f"{base_url(app)}/webhooks/{store.channel}/{store.store_id}",
    }


@app.post("/stores", summary="Register a store", tags=["stores"], responses=responses(201, 409))
def create_store(body: StoreCreate) -> Any:
    store, generated = admin.register(body, utcnow())
    logger.info("store registered", extra={"store_id": store.store_id, "channel": store.channel})
    response = _public(store)
    if generated:
        response["webhook_secret"] = generated  # shown once: paste it into WooCommerce's webhook form
    return json_response(201, response)


@app.get("/stores", summary="List stores", tags=["stores"], responses=responses(200, 400))
def list_stores(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
) -> Any:
    page = stores.list(limit=limit, cursor=cursor)
    return json_response(200, {"stores": page.items, "cursor": page.cursor})


@app.get("/stores/<store_id>", summary="One store", tags=["stores"], responses=responses(200, 404))
def get_store(store_id: StoreId) -> Any:
    return json_response(200, _public(stores.get(store_id)))


@app.patch(
    "/stores/<store_id>",
    summary="Rename, change settings, rotate secrets",
    tags=["stores"],
    responses=responses(200, 400, 404),
)
def update_store(store_id: StoreId, body: StoreUpdate) -> Any:
    return json_response(200, _public(admin.update(store_id, body, utcnow())))


@app.get(
    "/stores/<store_id>/variants",
    summary="The store's variant map: channel variants without a SKU (mapped=false: still to map)",
    tags=["stores"],
    responses=responses(200, 400, 404),
)
def list_variants(
    store_id: StoreId,
    mapped: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
) -> Any:
    stores.get(store_id)
    page = variants.list(store_id, mapped=mapped, limit=limit, cursor=cursor)
    return json_response(200, {"variants": page.items, "cursor": page.cursor})


@app.put(
    "/stores/<store_id>/variants/<variant_key>",
    summary="Map a channel variant to a SKU, or mark it as holding no stock",
    tags=["stores"],
    responses=responses(200, 404),
)
def map_variant(
    store_id: StoreId,
    variant_key: Annotated[str, Path(pattern=VARIANT_KEY_PATTERN)],
    body: VariantMappingRequest,
) -> Any:
    mapping = admin.map_variant(store_id, variant_key, body, actor=staff_actor(app), now=utcnow())
    logger.info("variant mapped", extra={"store_id": store_id, "variant_key": variant_key})
    return json_response(200, mapping.model_dump(mode="json"))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
