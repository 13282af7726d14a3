"""Admin API for stores: POST /stores, GET /stores, GET|PATCH /stores/{store_id}.

Webhook secrets and channel API credentials go to SSM Parameter Store as SecureStrings and are
never returned (a secret we generate is shown once, in the response that creates it).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.admin_api import base_url, create_app, json_response, responses
from oms.data.store_repository import StoreRepository
from oms.errors import BadRequest
from oms.identifiers import SHOP_DOMAIN_PATTERN, STORE_ID_PATTERN
from oms.models import Channel, Store, StoreSettings
from oms.observability import logger, metrics, traced
from oms.timeutil import utcnow
from oms.webhooks import StoreCredentials

app = create_app()
stores = StoreRepository()

Secret = Annotated[str, StringConstraints(min_length=16, max_length=512)]
ShopDomain = Annotated[str, StringConstraints(pattern=SHOP_DOMAIN_PATTERN, max_length=255)]
SiteUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=500)]


class ApiCredentials(BaseModel):
    """Channel API credentials for pushing fulfilments back (Shopify admin token; WooCommerce keys)."""

    model_config = ConfigDict(extra="forbid")

    access_token: Secret | None = None
    consumer_key: Secret | None = None
    consumer_secret: Secret | None = None


class StoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)]
    channel: Literal["shopify", "woocommerce"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    webhook_secret: Secret | None = Field(
        default=None,
        description="Shopify: the signing secret Shopify shows. WooCommerce: leave empty to get one.",
    )
    shop_domain: ShopDomain | None = None
    site_url: SiteUrl | None = None
    api_credentials: ApiCredentials | None = None
    settings: StoreSettings = Field(default_factory=StoreSettings)

    @model_validator(mode="after")
    def _channel_fields(self) -> StoreCreate:
        if self.channel == "shopify" and not self.webhook_secret:
            raise ValueError("webhook_secret is required for Shopify (Shopify signs with its own secret)")
        if self.channel == "shopify" and self.site_url:
            raise ValueError("site_url is for WooCommerce stores")
        if self.channel == "woocommerce" and self.shop_domain:
            raise ValueError("shop_domain is for Shopify stores")
        return self


class StoreUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    settings: StoreSettings | None = None
    webhook_secret: Secret | None = None
    api_credentials: ApiCredentials | None = None


def _public(store: Store) -> dict[str, Any]:
    return {
        **store.model_dump(mode="json"),
        "webhook_url": f"{base_url(app)}/webhooks/{store.channel}/{store.store_id}",
    }


@app.post("/stores", summary="Register a store", tags=["stores"], responses=responses(201, 409))
def create_store(body: StoreCreate) -> Any:
    now = utcnow()
    generated = body.webhook_secret is None
    secret = body.webhook_secret or secrets.token_urlsafe(32)
    store = Store(
        store_id=body.store_id,
        channel=Channel(body.channel),
        name=body.name,
        shop_domain=body.shop_domain,
        site_url=body.site_url,
        settings=body.settings,
        created_at=now,
        updated_at=now,
    )
    origin = body.shop_domain if body.channel == "shopify" else body.site_url
    api = body.api_credentials.model_dump(exclude_none=True) if body.api_credentials else None
    stores.create(store, StoreCredentials(secret=secret, origin=origin), api)
    logger.info("store registered", extra={"store_id": store.store_id, "channel": store.channel})
    response = _public(store)
    if generated:
        response["webhook_secret"] = secret  # shown once: paste it into WooCommerce's webhook form
    return json_response(201, response)


@app.get("/stores", summary="List stores", tags=["stores"], responses=responses(200, 400))
def list_stores(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
) -> Any:
    page = stores.list(limit=limit, cursor=cursor)
    return json_response(200, {"stores": page.items, "cursor": page.cursor})


@app.get("/stores/<store_id>", summary="One store", tags=["stores"], responses=responses(200, 404))
def get_store(store_id: Annotated[str, Path(pattern=STORE_ID_PATTERN)]) -> Any:
    return json_response(200, _public(stores.get(store_id)))


@app.patch(
    "/stores/<store_id>",
    summary="Rename, change settings, rotate secrets",
    tags=["stores"],
    responses=responses(200, 400, 404),
)
def update_store(store_id: Annotated[str, Path(pattern=STORE_ID_PATTERN)], body: StoreUpdate) -> Any:
    store = stores.get(store_id)
    if not body.model_fields_set:
        raise BadRequest("nothing to update", code="empty_update")
    changes: dict[str, Any] = {"updated_at": utcnow()}
    if body.name is not None:
        changes["name"] = body.name
    if body.settings is not None:
        changes["settings"] = body.settings
    store = store.model_copy(update=changes)
    stores.update(store)
    if body.webhook_secret:
        origin = store.shop_domain if store.channel == Channel.SHOPIFY else store.site_url
        stores.rotate_webhook_secret(store, StoreCredentials(secret=body.webhook_secret, origin=origin))
    if body.api_credentials:
        stores.put_api_credentials(store, body.api_credentials.model_dump(exclude_none=True))
    return json_response(200, _public(store))


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
