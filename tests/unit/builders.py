"""Orders, stores and locations for the unit tier, from the real fixtures (../shared/fixtures)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from oms.channels.incoming import normalise
from oms.line_identity import resolve
from oms.models import Location, OrderSnapshot, Store, StoreSettings
from oms.order_changes import Actor
from oms_local.samples import fixture

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STORE = "unit-shop"


def actor(name: str = "shopify:orders/create", minutes: int = 0) -> Actor:
    return Actor(name, f"evt-{minutes}", NOW + timedelta(minutes=minutes))


def shopify_payload(
    n: int = 1001,
    lines: dict[str, int] | None = None,
    *,
    financial_status: str = "paid",
    updated_at: str = "2026-06-01T10:00:00Z",
    **changes: Any,
) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("shopify/orders-create.json"))
    payload.update(id=n, name=f"#{n}", financial_status=financial_status, updated_at=updated_at)
    if lines is not None:
        template = payload["line_items"][0]
        payload["line_items"] = [
            copy.deepcopy(template) | {"id": n * 100 + i, "sku": sku, "quantity": qty, "name": f"Item {sku}"}
            for i, (sku, qty) in enumerate(lines.items())
        ]
    payload.update(changes)
    return payload


def snapshot(
    payload: dict[str, Any], *, topic: str = "orders/update", settings: StoreSettings | None = None
) -> OrderSnapshot:
    incoming = normalise("shopify", topic, payload, store_id=STORE, received_at=NOW)
    assert isinstance(incoming, OrderSnapshot)
    return resolve(incoming, settings or StoreSettings(), {})


def store(**settings: Any) -> Store:
    return Store(
        store_id=STORE,
        channel="shopify",
        name="Unit shop",
        shop_domain="unit-shop.myshopify.com",
        settings=StoreSettings(**settings),
        created_at=NOW,
        updated_at=NOW,
    )


def location(
    location_id: str, country: str = "US", ships_to: list[str] | None = None, **fields: Any
) -> Location:
    return Location(
        location_id=location_id, name=location_id, country_code=country, ships_to=ships_to or [], **fields
    )


EAST = location("wh-east", ships_to=["US", "CA"])
WEST = location("wh-west")
