"""Registering and configuring stores, and their variant maps.

Webhook secrets and channel API credentials go to SSM Parameter Store as SecureStrings and are
never returned (a secret we generate is shown once, in the response that creates it).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any, Protocol

from oms.admin_requests import StoreCreate, StoreUpdate, VariantMappingRequest
from oms.errors import BadRequest, Conflict, NotFound
from oms.line_identity import VARIANT_KEY_PATTERN, VariantMapping
from oms.models import Channel, Store
from oms.webhooks import StoreCredentials


class StoreRecords(Protocol):
    def get(self, store_id: str) -> Store: ...
    def create(
        self, store: Store, credentials: StoreCredentials, api_credentials: dict[str, Any] | None
    ) -> None: ...
    def update(self, store: Store) -> None: ...
    def rotate_webhook_secret(self, store: Store, credentials: StoreCredentials) -> None: ...
    def put_api_credentials(self, store: Store, api_credentials: dict[str, Any]) -> None: ...


class VariantRecords(Protocol):
    def get(self, store_id: str, variant_key: str) -> VariantMapping | None: ...
    def put(self, mapping: VariantMapping) -> None: ...


def origin_of(store: Store) -> str | None:
    """Where a store's webhooks must come from: its Shopify shop domain, WooCommerce site URL, or
    BigCommerce producer (``stores/<hash>``)."""
    if store.channel == Channel.SHOPIFY:
        return store.shop_domain
    if store.channel == Channel.BIGCOMMERCE:
        return f"stores/{store.store_hash}" if store.store_hash else None
    return store.site_url


# Start a catalogue sync of the store (oms.services.catalog_sync_service.start_run).
CatalogStart = Callable[[Store, str, datetime], object]


class StoreAdmin:
    def __init__(
        self, stores: StoreRecords, variants: VariantRecords, catalog: CatalogStart | None = None
    ) -> None:
        self.stores, self.variants, self.catalog = stores, variants, catalog

    def register(self, body: StoreCreate, now: datetime) -> tuple[Store, str | None]:
        """The new store, and the webhook secret when we generated it (shown once)."""
        secret = body.webhook_secret or secrets.token_urlsafe(32)
        store = Store(
            store_id=body.store_id,
            channel=Channel(body.channel),
            name=body.name,
            shop_domain=body.shop_domain,
            site_url=body.site_url,
            store_hash=body.store_hash,
            settings=body.settings,
            api_connected=body.api_credentials is not None,
            created_at=now,
            updated_at=now,
        )
        api = body.api_credentials.model_dump(exclude_none=True) if body.api_credentials else None
        self.stores.create(store, StoreCredentials(secret=secret, origin=origin_of(store)), api)
        return store, None if body.webhook_secret else secret

    def update(self, store_id: str, body: StoreUpdate, now: datetime, *, actor: str = "staff") -> Store:
        """The store's new name, settings, secrets or credentials. Turning its inventory sync on
        (with credentials) starts a catalogue sync, so every SKU it sells gets its level without
        waiting for each to change."""
        store = self.stores.get(store_id)
        was_syncing = store.settings.inventory_sync and store.api_connected
        if not body.model_fields_set:
            raise BadRequest("nothing to update", code="empty_update")
        changes: dict[str, Any] = {"updated_at": now}
        if body.name is not None:
            changes["name"] = body.name
        if body.settings is not None:
            changes["settings"] = body.settings
        if body.api_credentials:
            changes["api_connected"] = True
        store = store.model_copy(update=changes)
        self.stores.update(store)
        if body.webhook_secret:
            self.stores.rotate_webhook_secret(
                store, StoreCredentials(secret=body.webhook_secret, origin=origin_of(store))
            )
        if body.api_credentials:
            self.stores.put_api_credentials(store, body.api_credentials.model_dump(exclude_none=True))
        if self.catalog and store.settings.inventory_sync and store.api_connected and not was_syncing:
            with suppress(Conflict):  # one under way already pushes with the new settings
                self.catalog(store, actor, now)
        return store

    def map_variant(
        self, store_id: str, variant_key: str, body: VariantMappingRequest, *, actor: str, now: datetime
    ) -> VariantMapping:
        """Say what a variant is for stock. Orders held for it are released by a retry
        (``POST /orders/{id}/retry``) or the channel's next update."""
        self.stores.get(store_id)  # NotFound for an unknown store
        if not re.match(VARIANT_KEY_PATTERN, variant_key):
            raise NotFound(f"no variant {variant_key!r}", code="unknown_variant")
        current = self.variants.get(store_id, variant_key)
        mapping = VariantMapping(
            store_id=store_id,
            variant_key=variant_key,
            name=current.name if current else None,
            first_seen_at=current.first_seen_at if current else None,
            sku=body.sku,
            stock_tracked=body.stock_tracked,
            mapped=True,
            mapped_at=now,
            mapped_by=actor,
        )
        self.variants.put(mapping)
        return mapping
