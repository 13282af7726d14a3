"""WooCommerce's stock of our SKUs (REST API v3): finding a SKU's product or variation
(``GET /products?sku=``, which also finds variations, with their ``parent_id``) and setting its
``stock_quantity`` through the batch endpoints: ``POST /products/batch`` for products and
``POST /products/{parent}/variations/batch`` for each parent's variations, 100 updates a call.
Setting a quantity is idempotent by nature; a batch answers each update on its own, so one
refused product does not hold back the rest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from oms.integrations.http_transport import Transport, call_json
from oms.integrations.woocommerce_rest import basic_auth
from oms.inventory_sync import AGGREGATE, ChannelListing, StockPush

BATCH_LIMIT = 100  # WooCommerce's batch endpoints take at most 100 objects per request


class WooCommerceStock:
    def __init__(
        self, transport: Transport, *, store_id: str, site_url: str, consumer_key: str, consumer_secret: str
    ) -> None:
        self.transport, self.store_id = transport, store_id
        self.base = f"{site_url.rstrip('/')}/wp-json/wc/v3/products"
        self.headers = basic_auth(consumer_key, consumer_secret)

    def _call(self, method: str, url: str, payload: Any = None) -> Any:
        return call_json(
            self.transport, method, url, headers=self.headers, payload=payload, service="WooCommerce"
        )

    def look_up(self, sku: str, now: datetime) -> ChannelListing:
        found = self._call("GET", f"{self.base}?sku={quote(sku, safe='')}&per_page=10") or []
        match = next((p for p in found if isinstance(p, dict) and p.get("sku") == sku), None)
        return self._listing(sku, match, now)

    def catalog_page(self, cursor: str | None, now: datetime) -> tuple[list[ChannelListing], str | None]:
        """One page of the site's products (100), with every variation of the variable ones (their
        own SKUs and stock; read 100 a page per parent)."""
        page = int(cursor or 1)
        fields = "id,sku,name,type,parent_id"
        products = self._call("GET", f"{self.base}?per_page={BATCH_LIMIT}&page={page}&_fields={fields}") or []
        listings: list[ChannelListing] = []
        for product in products:
            if not isinstance(product, dict):
                continue
            if product.get("type") == "variable":
                n = 1
                while True:
                    query = f"per_page={BATCH_LIMIT}&page={n}&_fields={fields}"
                    url = f"{self.base}/{int(product['id'])}/variations?{query}"
                    variations = self._call("GET", url) or []
                    for variation in variations:
                        variation.setdefault("parent_id", product["id"])
                        if str(variation.get("sku") or "").strip():
                            listings.append(self._listing(str(variation["sku"]).strip(), variation, now))
                    if len(variations) < BATCH_LIMIT:
                        break
                    n += 1
            elif str(product.get("sku") or "").strip():
                listings.append(self._listing(str(product["sku"]).strip(), product, now))
        return listings, (str(page + 1) if len(products) >= BATCH_LIMIT else None)

    def _listing(self, sku: str, match: dict[str, Any] | None, now: datetime) -> ChannelListing:
        if match is None or match.get("type") == "variable":  # a parent's stock is its variations'
            return ChannelListing(store_id=self.store_id, sku=sku, found=False, checked_at=now)
        parent = match.get("parent_id") or 0
        return ChannelListing(
            store_id=self.store_id,
            sku=sku,
            found=True,
            checked_at=now,
            name=match.get("name"),
            product_id=str(match["id"]),
            parent_id=str(parent) if parent else None,
        )

    def set_stock(self, pushes: Sequence[StockPush]) -> dict[str, str | None]:
        """Each SKU's refusal in WooCommerce's words, or None where it took it."""
        groups: dict[str | None, list[StockPush]] = {}
        for push in pushes:
            groups.setdefault(push.listing.parent_id, []).append(push)
        results: dict[str, str | None] = {}
        for parent, group in groups.items():
            url = f"{self.base}/{parent}/variations/batch" if parent else f"{self.base}/batch"
            for start in range(0, len(group), BATCH_LIMIT):
                chunk = group[start : start + BATCH_LIMIT]
                update = [
                    {
                        "id": int(str(p.listing.product_id)),
                        "manage_stock": True,
                        "stock_quantity": p.quantities[AGGREGATE],
                    }
                    for p in chunk
                ]
                answer = self._call("POST", url, {"update": update}) or {}
                by_id = {str(a.get("id")): a for a in answer.get("update") or [] if isinstance(a, dict)}
                for push in chunk:
                    got = by_id.get(str(push.listing.product_id))
                    error = (got or {}).get("error")
                    if got is None:
                        results[push.listing.sku] = "WooCommerce did not answer for this product"
                    elif error:
                        code = error.get("code") if isinstance(error, dict) else None
                        results[push.listing.sku] = f"WooCommerce refused it: {code or 'error'}"[:300]
                    else:
                        results[push.listing.sku] = None
        return results
