"""Stores: their record in the table, their secrets in SSM Parameter Store (SecureString)."""

from __future__ import annotations

import builtins
import json
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from oms.data import table_keys as keys
from oms.data.aws_clients import client
from oms.data.dynamo_table import Page, Table, decode_cursor, encode_cursor
from oms.data.item_codec import from_item, to_item
from oms.data.store_secrets import api_parameter, webhook_parameter
from oms.errors import Conflict, NotFound
from oms.models import Location, Store
from oms.settings import Settings, get_settings
from oms.webhooks import StoreCredentials

_KEYS = {"PK", "SK", "GSI1PK", "GSI1SK", "entity", "outbox"}


class StoreRepository:
    def __init__(
        self, table: Table | None = None, settings: Settings | None = None, *, cache_seconds: float = 0.0
    ) -> None:
        self.table = table or Table()
        self.settings = settings or get_settings()
        self.ssm = client("ssm")
        self.cache_seconds = cache_seconds  # readers that can live with settings a minute old
        self._cache: dict[str, tuple[float, Store | None]] = {}
        self._all: tuple[float, list[Store]] | None = None

    def get(self, store_id: str) -> Store:
        item = self.table.get(keys.store_pk(store_id), keys.STORE_SK)
        if not item:
            raise NotFound(f"unknown store {store_id!r}", code="unknown_store")
        return Store.model_validate({k: v for k, v in from_item(item).items() if k not in _KEYS})

    def find(self, store_id: str) -> Store | None:
        now = time.monotonic()
        cached = self._cache.get(store_id)
        if cached and cached[0] > now:
            return cached[1]
        try:
            store: Store | None = self.get(store_id)
        except NotFound:
            store = None
        if self.cache_seconds:
            self._cache[store_id] = (now + self.cache_seconds, store)
        return store

    def create(
        self, store: Store, credentials: StoreCredentials, api_credentials: dict[str, Any] | None
    ) -> None:
        """Secrets first (a store is only visible once its webhooks can be verified)."""
        self._put_secret(
            webhook_parameter(self.settings.parameter_prefix, store.channel, store.store_id),
            credentials.to_parameter(),
            overwrite=False,
        )
        if api_credentials:
            self.put_api_credentials(store, api_credentials)
        item = {
            "PK": keys.store_pk(store.store_id),
            "SK": keys.STORE_SK,
            "entity": "store",
            "GSI1PK": keys.STORES,
            "GSI1SK": store.store_id,
            **store.model_dump(mode="json"),
        }
        try:
            self.table.ddb.put_item(
                TableName=self.table.name, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"store {store.store_id!r} already exists", code="store_exists") from exc
            raise

    def update(self, store: Store) -> None:
        item = {
            "PK": keys.store_pk(store.store_id),
            "SK": keys.STORE_SK,
            "entity": "store",
            "GSI1PK": keys.STORES,
            "GSI1SK": store.store_id,
            **store.model_dump(mode="json"),
        }
        self.table.ddb.put_item(
            TableName=self.table.name, Item=to_item(item), ConditionExpression="attribute_exists(PK)"
        )

    def rotate_webhook_secret(self, store: Store, credentials: StoreCredentials) -> None:
        self._put_secret(
            webhook_parameter(self.settings.parameter_prefix, store.channel, store.store_id),
            credentials.to_parameter(),
            overwrite=True,
        )

    def put_api_credentials(self, store: Store, api_credentials: dict[str, Any]) -> None:
        self._put_secret(
            api_parameter(self.settings.parameter_prefix, store.channel, store.store_id),
            json.dumps(api_credentials),
            overwrite=True,
        )

    def erase(self, store: Store, at: datetime) -> None:
        """The store's secrets deleted (its webhooks are then refused as an unknown store's, its API
        is never called again) and the store marked erased; its record stays for its orders."""
        for name in (
            webhook_parameter(self.settings.parameter_prefix, store.channel, store.store_id),
            api_parameter(self.settings.parameter_prefix, store.channel, store.store_id),
        ):
            try:
                self.ssm.delete_parameter(Name=name)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ParameterNotFound":
                    raise
        erased = store.model_copy(
            update={
                "api_connected": False,
                "erased_at": at,
                "updated_at": at,
                "settings": store.settings.model_copy(
                    update={"inventory_sync": False, "reconcile_every_minutes": 0}
                ),
            }
        )
        self.update(erased)
        self._all = None

    def api_credentials(self, store: Store) -> dict[str, Any] | None:
        name = api_parameter(self.settings.parameter_prefix, store.channel, store.store_id)
        try:
            response = self.ssm.get_parameter(Name=name, WithDecryption=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ParameterNotFound":
                return None
            raise
        value: dict[str, Any] = json.loads(response["Parameter"]["Value"])
        return value

    def list(self, *, limit: int, cursor: str | None) -> Page:
        return _list(
            self.table, keys.STORES, limit, cursor, lambda d: Store.model_validate(d).model_dump(mode="json")
        )

    def all(self) -> builtins.list[Store]:
        """Every registered store, page by page (cached for ``cache_seconds``)."""
        now = time.monotonic()
        if self._all and self._all[0] > now:
            return list(self._all[1])
        stores: builtins.list[Store] = []
        cursor: str | None = None
        while True:
            page = self.list(limit=100, cursor=cursor)
            stores += [Store.model_validate(d) for d in page.items]
            if not page.cursor:
                break
            cursor = page.cursor
        if self.cache_seconds:
            self._all = (now + self.cache_seconds, stores)
        return list(stores)

    def shopify_shops(self) -> dict[str, str]:
        """Every registered Shopify store's shop domain (lower-cased) and store id, page by page."""
        shops: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page = self.list(limit=100, cursor=cursor)
            for store in page.items:
                if store.get("channel") == "shopify" and store.get("shop_domain"):
                    shops[str(store["shop_domain"]).lower()] = str(store["store_id"])
            if not page.cursor:
                return shops
            cursor = page.cursor

    def _put_secret(self, name: str, value: str, *, overwrite: bool) -> None:
        try:
            self.ssm.put_parameter(
                Name=name,
                Value=value,
                Type="SecureString",
                Overwrite=overwrite,
                Tier="Standard",
                Description="OMS store credential (managed by the OMS admin API)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ParameterAlreadyExists":
                raise Conflict("this store is already registered", code="store_exists") from exc
            raise


class LocationRepository:
    def __init__(self, table: Table | None = None, *, cache_seconds: float = 0.0) -> None:
        self.table = table or Table()
        self.cache_seconds = cache_seconds  # readers that can live with a list a minute old
        self._cached: tuple[float, list[Location]] | None = None

    def put(self, location: Location) -> None:
        item = {
            "PK": keys.location_pk(location.location_id),
            "SK": keys.LOCATION_SK,
            "entity": "location",
            "GSI1PK": keys.LOCATIONS,
            "GSI1SK": location.location_id,
            **location.model_dump(mode="json"),
        }
        self.table.ddb.put_item(TableName=self.table.name, Item=to_item(item))

    def all(self) -> list[Location]:
        now = time.monotonic()
        if self._cached and self._cached[0] > now:
            return list(self._cached[1])
        locations = self._read_all()
        if self.cache_seconds:
            self._cached = (now + self.cache_seconds, locations)
        return list(locations)

    def _read_all(self) -> list[Location]:
        locations: list[Location] = []
        cursor = None
        while True:
            page = self.list(limit=100, cursor=cursor)
            locations += [Location.model_validate(d) for d in page.items]
            if not page.cursor:
                return locations
            cursor = page.cursor

    def list(self, *, limit: int, cursor: str | None) -> Page:
        return _list(
            self.table,
            keys.LOCATIONS,
            limit,
            cursor,
            lambda d: Location.model_validate(d).model_dump(mode="json"),
        )


def _list(table: Table, partition: str, limit: int, cursor: str | None, shape: Any) -> Page:
    kwargs: dict[str, Any] = {
        "IndexName": keys.GSI_BY_STORE,
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": partition}},
        "Limit": limit,
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
    response = table.query(**kwargs)
    # The index holds keys and a few attributes only: read the full records.
    found = table.batch_get([(item["PK"]["S"], item["SK"]["S"]) for item in response.get("Items", [])])
    by_key = {(i["PK"]["S"]): i for i in found}
    items = [
        shape({k: v for k, v in from_item(by_key[item["PK"]["S"]]).items() if k not in _KEYS})
        for item in response.get("Items", [])
        if item["PK"]["S"] in by_key
    ]
    last = response.get("LastEvaluatedKey")
    return Page(items=items, cursor=encode_cursor(last) if last else None)
