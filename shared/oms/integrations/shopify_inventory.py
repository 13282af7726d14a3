"""Shopify's stock of our SKUs (GraphQL Admin API): finding a SKU's variant and inventory item, and
setting its ``available`` quantity.

- Finding: ``productVariants(query: "sku:...")``, the exact SKU among the matches (Shopify's search
  is by token); a variant whose inventory Shopify does not track is not synced.
- Setting: one ``inventorySetQuantities`` for every SKU of a push (``name: available``,
  ``changeFromQuantity: null``: the OMS is the source of truth), at the store's one location or at
  each mapped location, under an ``@idempotent`` key made of the versions and quantities pushed, so
  a push repeated after a crash is made once. A refused push (``userErrors``) is retried one SKU at
  a time, so one bad item does not hold back the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oms.integrations.shopify_graphql import ChannelRefused, ShopifyAdmin, gid
from oms.inventory_sync import AGGREGATE, ChannelListing, StockPush

MAX_QUANTITIES = 250  # inventorySetQuantities takes at most 250 quantities per call

VARIANT_BY_SKU = """
query VariantBySku($query: String!) {
  productVariants(first: 5, query: $query) {
    nodes { id sku displayName inventoryItem { id tracked } }
  }
}
"""

CATALOG_PAGE = """
query CatalogVariants($after: String) {
  productVariants(first: 250, after: $after) {
    nodes { id sku displayName inventoryItem { id tracked } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

FIRST_LOCATION = """
query FirstLocation {
  locations(first: 1) { nodes { id name } }
}
"""

SET_AVAILABLE = """
mutation SetAvailable($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}
"""


def _numeric(channel_gid: str) -> str:
    return channel_gid.rsplit("/", 1)[-1]


def _search_value(sku: str) -> str:
    escaped = sku.replace("\\", "\\\\").replace('"', '\\"')
    return f'sku:"{escaped}"'


class ShopifyInventory:
    def __init__(self, api: ShopifyAdmin, store_id: str, location_id: str | None) -> None:
        self.api, self.store_id = api, store_id
        self._location = location_id  # None: the shop's first location, looked up once

    def look_up(self, sku: str, now: datetime) -> ChannelListing:
        nodes = self.api.query(VARIANT_BY_SKU, {"query": _search_value(sku)})["productVariants"]["nodes"]
        match = next((n for n in nodes if n.get("sku") == sku), None)
        return self._listing(sku, match, now)

    def catalog_page(self, cursor: str | None, now: datetime) -> tuple[list[ChannelListing], str | None]:
        """One page of the shop's variants (250), each with a SKU as a listing (a variant whose
        inventory Shopify does not track is listed as not synced)."""
        page = self.api.query(CATALOG_PAGE, {"after": cursor})["productVariants"]
        listings = [
            self._listing(str(n["sku"]).strip(), n, now)
            for n in page["nodes"]
            if str(n.get("sku") or "").strip()
        ]
        info = page.get("pageInfo") or {}
        return listings, (info.get("endCursor") if info.get("hasNextPage") else None)

    def _listing(self, sku: str, match: dict[str, Any] | None, now: datetime) -> ChannelListing:
        item = (match or {}).get("inventoryItem") or {}
        if match is None or not item.get("tracked"):
            return ChannelListing(store_id=self.store_id, sku=sku, found=False, checked_at=now)
        return ChannelListing(
            store_id=self.store_id,
            sku=sku,
            found=True,
            checked_at=now,
            name=match.get("displayName"),
            variant_id=_numeric(match["id"]),
            inventory_item_id=_numeric(item["id"]),
        )

    def set_stock(self, pushes: Sequence[StockPush]) -> dict[str, str | None]:
        """Each SKU's refusal in Shopify's words, or None where Shopify took it."""
        results: dict[str, str | None] = {}
        chunk: list[StockPush] = []
        size = 0
        for push in pushes:
            if chunk and size + len(push.quantities) > MAX_QUANTITIES:
                results |= self._set(chunk)
                chunk, size = [], 0
            chunk.append(push)
            size += len(push.quantities)
        if chunk:
            results |= self._set(chunk)
        return results

    def _set(self, pushes: list[StockPush]) -> dict[str, str | None]:
        try:
            self._mutate(pushes)
        except ChannelRefused as refused:
            if len(pushes) == 1:
                return {pushes[0].listing.sku: str(refused)}
            out: dict[str, str | None] = {}
            for push in pushes:
                out |= self._set([push])
            return out
        return {push.listing.sku: None for push in pushes}

    def _mutate(self, pushes: list[StockPush]) -> None:
        quantities = [
            {
                "inventoryItemId": gid("InventoryItem", str(push.listing.inventory_item_id)),
                "locationId": gid("Location", self._location_of(where)),
                "quantity": quantity,
                "changeFromQuantity": None,
            }
            for push in pushes
            for where, quantity in sorted(push.quantities.items())
        ]
        first = pushes[0]
        stamp = ",".join(
            f"{p.listing.sku}@{p.version}={sorted(p.quantities.items())}/{p.listing.repush_run or ''}"
            for p in pushes
        )
        key = "oms-stock-" + hashlib.sha256(f"{first.listing.store_id}|{stamp}".encode()).hexdigest()[:40]
        variables: dict[str, Any] = {
            "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": f"oms://stock/{first.listing.sku}/{first.version}",
                "quantities": quantities,
            },
            "key": key,
        }
        answer = self.api.query(SET_AVAILABLE, variables)["inventorySetQuantities"]
        errors = answer.get("userErrors") or []
        if errors:
            words = "; ".join(str(e.get("code") or e.get("message") or "refused") for e in errors)
            raise ChannelRefused(f"Shopify refused it: {words}"[:300])

    def _location_of(self, where: str) -> str:
        if where != AGGREGATE:
            return where
        if self._location is None:
            nodes = self.api.query(FIRST_LOCATION, {})["locations"]["nodes"]
            if not nodes:
                raise ChannelRefused("Shopify refused it: the shop has no location to keep stock at")
            self._location = _numeric(nodes[0]["id"])
        return self._location
