"""BigCommerce's stock of our SKUs (V3 catalog and inventory APIs): finding a SKU's variant and how
its product tracks inventory, and setting its quantity at one inventory location.

- Finding: ``GET /v3/catalog/variants?sku=`` (the exact SKU), then the product's
  ``inventory_tracking``: ``variant`` (each variant has its stock), ``product`` (the product has one
  stock, its base variant's SKU), or ``none`` (not tracked: not synced).
- Setting: ``PUT /v3/inventory/adjustments/absolute`` with ``location_id`` and the ``variant_id`` or
  ``product_id`` that tracks it, up to 2,000 items a call (the documented limit); an absolute level
  is idempotent by nature. A refused call (422) is retried one SKU at a time, so one bad item does
  not hold back the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from oms.integrations.bigcommerce_api import BigCommerceApi
from oms.integrations.http_transport import HttpError
from oms.inventory_sync import AGGREGATE, ChannelListing, StockPush

MAX_ITEMS = 2000
PAGE = 250  # the catalog's largest page


class BigCommerceInventory:
    def __init__(self, api: BigCommerceApi, store_id: str, location_id: int) -> None:
        self.api, self.store_id, self.location_id = api, store_id, location_id

    def look_up(self, sku: str, now: datetime) -> ChannelListing:
        found = self.api.call(
            "GET", f"/v3/catalog/variants?sku={quote(sku, safe='')}&include_fields=id,product_id,sku"
        )
        match = next((v for v in (found or {}).get("data") or [] if v.get("sku") == sku), None)
        absent = ChannelListing(store_id=self.store_id, sku=sku, found=False, checked_at=now)
        if match is None:
            return absent
        product_id = int(match["product_id"])
        product = self.api.call(
            "GET", f"/v3/catalog/products/{product_id}?include_fields=name,inventory_tracking"
        )
        data = (product or {}).get("data") or {}
        tracking = data.get("inventory_tracking")
        if tracking not in ("variant", "product"):
            return absent  # the store does not track this item's stock
        return ChannelListing(
            store_id=self.store_id,
            sku=sku,
            found=True,
            checked_at=now,
            name=data.get("name"),
            variant_id=str(match["id"]) if tracking == "variant" else None,
            product_id=str(product_id),
        )

    def catalog_page(self, cursor: str | None, now: datetime) -> tuple[list[ChannelListing], str | None]:
        """One page of the store's products (250) with their variants: a product tracked by
        variant lists each variant's SKU, one tracked as a product its own (base variant's) SKU,
        one not tracked lists its SKUs as not synced."""
        page = int(cursor or 1)
        answer = (
            self.api.call(
                "GET",
                f"/v3/catalog/products?include=variants&include_fields=id,name,sku,inventory_tracking&limit={PAGE}&page={page}",
            )
            or {}
        )
        products = [p for p in answer.get("data") or [] if isinstance(p, dict)]
        listings: list[ChannelListing] = []
        for product in products:
            tracking = product.get("inventory_tracking")
            variants = [v for v in product.get("variants") or [] if isinstance(v, dict)]
            items: list[tuple[str, str | None]]
            if tracking == "product" or not variants:
                items = [(str(product.get("sku") or ""), None)]
            else:
                items = [(str(v.get("sku") or ""), str(v["id"])) for v in variants]
            for sku, variant_id in items:
                if not sku.strip():
                    continue
                tracked = tracking in ("variant", "product")
                listings.append(
                    ChannelListing(
                        store_id=self.store_id,
                        sku=sku.strip(),
                        found=tracked,
                        checked_at=now,
                        name=product.get("name") if tracked else None,
                        variant_id=variant_id if tracked and tracking == "variant" else None,
                        product_id=str(product["id"]) if tracked else None,
                    )
                )
        pagination = (answer.get("meta") or {}).get("pagination") or {}
        more = int(pagination.get("current_page") or page) < int(pagination.get("total_pages") or 0)
        return listings, (str(page + 1) if more or (not pagination and len(products) >= PAGE) else None)

    def set_stock(self, pushes: Sequence[StockPush]) -> dict[str, str | None]:
        """Each SKU's refusal in BigCommerce's words, or None where it took it."""
        results: dict[str, str | None] = {}
        for start in range(0, len(pushes), MAX_ITEMS):
            results |= self._set(list(pushes[start : start + MAX_ITEMS]))
        return results

    def _set(self, pushes: list[StockPush]) -> dict[str, str | None]:
        items = []
        for push in pushes:
            item: dict[str, int] = {"location_id": self.location_id, "quantity": push.quantities[AGGREGATE]}
            if push.listing.variant_id:
                item["variant_id"] = int(push.listing.variant_id)
            else:
                item["product_id"] = int(str(push.listing.product_id))
            items.append(item)
        try:
            self.api.call(
                "PUT", "/v3/inventory/adjustments/absolute", {"reason": "OMS stock level", "items": items}
            )
        except HttpError as error:
            if error.status != 422:
                raise
            if len(pushes) == 1:
                return {pushes[0].listing.sku: f"BigCommerce refused it: {error}"[:300]}
            out: dict[str, str | None] = {}
            for push in pushes:
                out |= self._set([push])
            return out
        return {push.listing.sku: None for push in pushes}
