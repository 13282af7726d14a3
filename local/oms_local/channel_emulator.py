"""The stores' APIs on this machine: Shopify's GraphQL Admin API, WooCommerce's REST API v3 and
BigCommerce's REST API (V2 orders, V3 catalog, inventory and refunds) for the calls the OMS makes
about stock and orders, answering as their documentation shows (the shapes of ``productVariants``,
``locations``, ``inventorySetQuantities`` with its ``@idempotent`` key and its ``extensions.cost``;
WooCommerce's ``GET /products?sku=`` and batch endpoints; BigCommerce's orders with their products
and shipping addresses, ``204`` for an empty list, absolute inventory adjustments), and remembering
what it was told, so a test reads the quantity a store would now show.

Every channel host is one emulated shop or site: the local stack's functions reach it over plain
HTTP on 127.0.0.1 with the host they meant in ``X-Forwarded-Host`` (see
``oms_local._worker_main``). A test can make the next answers fail as the platforms do: a 5xx, a
429 with ``Retry-After``, Shopify's ``THROTTLED``, or a slow answer.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SHOPIFY_RESTORE_RATE = 100.0  # points a second (Shopify's standard plan)
SHOPIFY_BUCKET = 2000.0
SHOPIFY_UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
WOO_UNAUTHORIZED = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources."}
WOO_INVALID_ID = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID."}
WOO_NO_ROUTE = {"code": "rest_no_route", "message": "No route was found matching the URL and request method."}


@dataclass
class Fault:
    """One failing answer: ``status`` (500, 503, 429) with ``retry_after``, ``throttled`` (Shopify's
    GraphQL THROTTLED), or ``delay`` seconds before an otherwise normal answer."""

    status: int | None = None
    retry_after: int | None = None
    throttled: bool = False
    delay: float = 0.0


@dataclass
class ShopifyShop:
    domain: str
    access_token: str
    location_id: str = "655441491"
    variants: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # sku -> variant, item, tracked
    available: dict[tuple[str, str], int] = field(default_factory=dict)  # (item, location) -> quantity
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # @idempotent key -> first answer
    changes: list[tuple[float, str, int]] = field(default_factory=list)  # (when, sku, quantity) applied
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # legacy id -> GraphQL Order

    def place(self, order: dict[str, Any]) -> None:
        """An order the shop holds (its REST resource, as a webhook carries it), whether or not
        its webhook is ever delivered."""
        node = graphql_order(order)
        self.orders[node["legacyResourceId"]] = node

    def sell(self, sku: str, *, tracked: bool = True) -> None:
        n = 40_000_000 + len(self.variants)
        self.variants[sku] = (str(n), str(n + 500_000_000), tracked)

    def quantity(self, sku: str, location: str | None = None) -> int | None:
        item = self.variants[sku][1]
        return self.available.get((item, location or self.location_id))


def _money(amount: Any) -> dict[str, Any]:
    return {"shopMoney": {"amount": None if amount is None else str(amount)}}


def _utc(value: Any) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def graphql_order(rest: dict[str, Any]) -> dict[str, Any]:
    """A REST order resource as the GraphQL Admin API's ``Order`` shows it (the fields the OMS
    reads): ids as ``legacyResourceId``/gids, money as ``MoneyBag``, enums upper-case, times UTC."""

    def address(a: Any) -> dict[str, Any] | None:
        if not isinstance(a, dict):
            return None
        keys = {"firstName": "first_name", "lastName": "last_name", "provinceCode": "province_code"}
        same = ("name", "company", "address1", "address2", "city", "province", "zip", "phone")
        return {
            **{k: a.get(k) for k in same},
            **{k: a.get(v) for k, v in keys.items()},
            "countryCodeV2": a.get("country_code"),
        }

    lines = []
    for line in rest.get("line_items") or []:
        current = line.get("current_quantity", line["quantity"])
        current = line["quantity"] if current is None else current
        lines.append(
            {
                "id": f"gid://shopify/LineItem/{line['id']}",
                "sku": line.get("sku"),
                "name": line.get("name"),
                "title": line.get("title"),
                "quantity": line["quantity"],
                "currentQuantity": current,
                "unfulfilledQuantity": 0 if line.get("fulfillment_status") == "fulfilled" else current,
                "requiresShipping": line.get("requires_shipping", True),
                "isGiftCard": bool(line.get("gift_card")),
                "originalUnitPriceSet": _money(line.get("price")),
                "taxLines": [{"priceSet": _money(x.get("price"))} for x in line.get("tax_lines") or []],
                "discountAllocations": [
                    {"allocatedAmountSet": _money(x.get("amount"))}
                    for x in line.get("discount_allocations") or []
                ],
                "product": {
                    "legacyResourceId": str(line.get("product_id")),
                    "productType": line.get("product_type") or "",
                },
                "variant": {
                    "legacyResourceId": str(line.get("variant_id")),
                    "inventoryItem": {
                        "tracked": bool(line.get("variant_inventory_management")),
                        "measurement": {"weight": {"unit": "GRAMS", "value": float(line.get("grams") or 0)}},
                    },
                },
            }
        )
    customer = rest.get("customer") or {}
    financial = str(rest.get("financial_status") or "pending").upper()
    return {
        "legacyResourceId": str(rest["id"]),
        "name": rest.get("name"),
        "email": rest.get("email"),
        "phone": rest.get("phone"),
        "currencyCode": rest["currency"],
        "createdAt": _utc(rest.get("created_at")),
        "processedAt": _utc(rest.get("processed_at") or rest.get("created_at")),
        "updatedAt": _utc(rest.get("updated_at") or rest.get("created_at")),
        "cancelledAt": _utc(rest.get("cancelled_at")),
        "cancelReason": str(rest["cancel_reason"]).upper() if rest.get("cancel_reason") else None,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": "FULFILLED"
        if rest.get("fulfillment_status") == "fulfilled"
        else "UNFULFILLED",
        "note": rest.get("note"),
        "tags": [x.strip() for x in str(rest.get("tags") or "").split(",") if x.strip()],
        "sourceName": rest.get("source_name"),
        "taxesIncluded": bool(rest.get("taxes_included")),
        "customer": {
            "legacyResourceId": str(customer.get("id")),
            "email": customer.get("email"),
            "phone": customer.get("phone"),
            "firstName": customer.get("first_name"),
            "lastName": customer.get("last_name"),
        }
        if customer
        else None,
        "billingAddress": address(rest.get("billing_address")),
        "shippingAddress": address(rest.get("shipping_address")),
        "subtotalPriceSet": _money(rest.get("subtotal_price")),
        "totalDiscountsSet": _money(rest.get("total_discounts")),
        "totalTaxSet": _money(rest.get("total_tax")),
        "totalShippingPriceSet": _money(
            sum(float(s.get("price") or 0) for s in rest.get("shipping_lines") or [])
        ),
        "totalPriceSet": _money(rest.get("total_price")),
        "totalOutstandingSet": _money("0.00" if financial == "PAID" else rest.get("total_price")),
        "shippingLines": {
            "nodes": [
                {
                    "title": s.get("title"),
                    "code": s.get("code"),
                    "carrierIdentifier": s.get("carrier_identifier"),
                    "source": s.get("source"),
                    "originalPriceSet": _money(s.get("price")),
                }
                for s in rest.get("shipping_lines") or []
            ]
        },
        "fulfillments": [],
        "refunds": [],
        "lineItems": {"nodes": lines},
    }


@dataclass
class WooSite:
    host: str
    consumer_key: str
    consumer_secret: str
    products: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> product (or variation)
    changes: list[tuple[float, str, int]] = field(default_factory=list)

    def sell(self, sku: str, *, parent_id: int = 0) -> None:
        n = 800 + len(self.products)
        self.products[sku] = {
            "id": n,
            "name": f"Product {sku}",
            "sku": sku,
            "type": "variation" if parent_id else "simple",
            "parent_id": parent_id,
            "manage_stock": False,  # as in WooCommerce's documented example: null until set
            "stock_quantity": None,
            "stock_status": "instock",
        }

    def authorises(self, headers: dict[str, str]) -> bool:
        """HTTP Basic with the site's REST key and secret, as WooCommerce takes them over HTTPS."""
        expected = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode()
        return headers.get("authorization") == f"Basic {expected}"

    def quantity(self, sku: str) -> int | None:
        value = self.products[sku]["stock_quantity"]
        return None if value is None else int(value)

    orders: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> the v3 order resource

    def place(self, order: dict[str, Any]) -> None:
        """An order the site holds, whether or not its webhook is ever delivered."""
        self.orders[int(order["id"])] = order


BIGCOMMERCE_HOST = "api.bigcommerce.com"
BIGCOMMERCE_UNAUTHORIZED = {
    "status": 401,
    "title": "Unauthorized",
    "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
}
BIGCOMMERCE_NOT_FOUND = [{"status": 404, "message": "The requested resource was not found."}]


@dataclass
class BigCommerceStore:
    """One BigCommerce store (``api.bigcommerce.com/stores/<hash>``): its orders as the V2 API
    shows them (``order``, ``products``, ``shipping_addresses``, ``shipments``, ``refunds``), its
    catalogue's variants and the stock at each inventory location."""

    store_hash: str
    access_token: str
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> variant (+ tracking)
    stock: dict[tuple[int, int], int] = field(default_factory=dict)  # (location, variant id) -> quantity
    changes: list[tuple[float, str, int]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)  # every shipment created, in order

    def place(self, document: dict[str, Any]) -> None:
        """An order the store holds: ``{"order", "products", "shipping_addresses"}`` as its API
        documents them (tests/fixtures/exchanges/bigcommerce-order.json)."""
        order = dict(document["order"])
        self.orders[int(order["id"])] = {
            "order": order,
            "products": [dict(p) for p in document.get("products") or []],
            "shipping_addresses": [dict(a) for a in document.get("shipping_addresses") or []],
            "shipments": [],
            "refunds": [],
        }

    def sell(self, sku: str, *, tracking: str = "variant") -> None:
        n = 300 + len(self.variants)
        self.variants[sku] = {"id": n, "product_id": 100 + n, "sku": sku, "inventory_tracking": tracking}

    def quantity(self, sku: str, location: int = 1) -> int | None:
        return self.stock.get((location, int(self.variants[sku]["id"])))


class ChannelEmulator:
    """Shops and sites by host, served on 127.0.0.1 (``start``/``stop`` or ``with``)."""

    def __init__(self) -> None:
        self.shops: dict[str, ShopifyShop] = {}
        self.sites: dict[str, WooSite] = {}
        self.bigcommerce_stores: dict[str, BigCommerceStore] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (host, method, path)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ set-up
    def shopify(self, domain: str, access_token: str) -> ShopifyShop:
        self.shops[domain] = ShopifyShop(domain, access_token)
        return self.shops[domain]

    def woocommerce(self, site_url: str, consumer_key: str, consumer_secret: str) -> WooSite:
        host = urlsplit(site_url).netloc
        self.sites[host] = WooSite(host, consumer_key, consumer_secret)
        return self.sites[host]

    def bigcommerce(self, store_hash: str, access_token: str) -> BigCommerceStore:
        self.bigcommerce_stores[store_hash] = BigCommerceStore(store_hash, access_token)
        return self.bigcommerce_stores[store_hash]

    def fail_next(self, host: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(host, []).extend(faults)

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ChannelEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                host = self.headers.get("x-forwarded-host") or self.headers.get("host") or ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = emulator.answer(self.command, host, self.path, headers, body)
                data = b"" if status == 204 else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="channel-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextmanager
    def running(self) -> Iterator[ChannelEmulator]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    # ------------------------------------------------------------------ answers
    def answer(
        self, method: str, host: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        path = urlsplit(target).path
        if path.startswith("/_emulator/"):  # the emulator's own controls, for `make demo`
            return self._control(method, path, body)
        with self._lock:
            self.requests.append((host, method, path))
            fault = self.faults.get(host, []).pop(0) if self.faults.get(host) else None
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status:
            extra = {"retry-after": str(fault.retry_after)} if fault.retry_after else {}
            return fault.status, extra, {"errors": "Service unavailable, try again"}
        if host in self.shops and path.endswith("/graphql.json") and method == "POST":
            return self._shopify(self.shops[host], headers, body, throttled=bool(fault and fault.throttled))
        if host in self.sites and path.startswith("/wp-json/wc/v3/products"):
            return self._woo(self.sites[host], method, target, headers, body)
        if host in self.sites and path.startswith("/wp-json/wc/v3/orders") and method == "GET":
            return self._woo_orders(self.sites[host], target, headers)
        if host == BIGCOMMERCE_HOST and path.startswith("/stores/"):
            store = self.bigcommerce_stores.get(path.split("/")[2])
            if store is not None:
                if headers.get("x-auth-token") != store.access_token:
                    return 401, {}, BIGCOMMERCE_UNAUTHORIZED
                with self._lock:
                    return self._bigcommerce(store, method, target, body)
        return 404, {}, {"errors": "Not Found"}

    def _control(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        """``POST /_emulator/shopify`` and ``/_emulator/woocommerce`` open a shop or site selling
        some SKUs; ``GET /_emulator/shopify/<domain>/<sku>`` and ``/_emulator/woocommerce/<host>/<sku>``
        read the quantity it shows (null: never set)."""
        sent: dict[str, Any] = json.loads(body) if body else {}
        parts = path.strip("/").split("/")
        with self._lock:
            if method == "POST" and parts == ["_emulator", "shopify"]:
                shop = self.shops.get(sent["domain"]) or ShopifyShop(sent["domain"], sent["access_token"])
                self.shops[shop.domain] = shop
                for sku in sent.get("skus", []):
                    if sku not in shop.variants:
                        shop.sell(sku)
                return 200, {}, {"domain": shop.domain, "skus": sorted(shop.variants)}
            if method == "POST" and parts == ["_emulator", "woocommerce"]:
                host = urlsplit(sent["site_url"]).netloc
                site = self.sites.get(host) or WooSite(host, sent["consumer_key"], sent["consumer_secret"])
                self.sites[host] = site
                for sku in sent.get("skus", []):
                    if sku not in site.products:
                        site.sell(sku)
                return 200, {}, {"host": host, "skus": sorted(site.products)}
            if method == "GET" and len(parts) == 4 and parts[1] == "shopify" and parts[2] in self.shops:
                shop = self.shops[parts[2]]
                return (
                    200,
                    {},
                    {
                        "sku": parts[3],
                        "available": shop.quantity(parts[3]) if parts[3] in shop.variants else None,
                    },
                )
            if method == "GET" and len(parts) == 4 and parts[1] == "woocommerce" and parts[2] in self.sites:
                site = self.sites[parts[2]]
                return (
                    200,
                    {},
                    {
                        "sku": parts[3],
                        "available": site.quantity(parts[3]) if parts[3] in site.products else None,
                    },
                )
        return 404, {}, {"errors": "Not Found"}

    def _shopify(
        self, shop: ShopifyShop, headers: dict[str, str], body: bytes, *, throttled: bool
    ) -> tuple[int, dict[str, str], Any]:
        if headers.get("x-shopify-access-token") != shop.access_token:
            return 401, {}, {"errors": SHOPIFY_UNAUTHORIZED}
        sent = json.loads(body or b"{}")
        name = str(sent.get("query", "")).split("(")[0].split("{")[0].split()[-1]
        variables = sent.get("variables") or {}
        cost = {
            "requestedQueryCost": 10,
            "actualQueryCost": None if throttled else 10,
            "throttleStatus": {
                "maximumAvailable": SHOPIFY_BUCKET,
                "currentlyAvailable": 0 if throttled else SHOPIFY_BUCKET - 10,
                "restoreRate": SHOPIFY_RESTORE_RATE,
            },
        }
        if throttled:
            errors = [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": ""}}]
            return 200, {}, {"errors": errors, "extensions": {"cost": cost}}
        handler = getattr(self, f"_shopify_{name}", None)
        if handler is None:
            return 200, {}, {"errors": [{"message": f"emulator does not know {name}"}]}
        with self._lock:
            data = handler(shop, variables)
        return 200, {}, {"data": data, "extensions": {"cost": cost}}

    def _shopify_VariantBySku(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        wanted = str(v.get("query", "")).split('"')[1] if '"' in str(v.get("query", "")) else ""
        nodes = []
        for sku, (variant, item, tracked) in shop.variants.items():
            if sku == wanted:
                nodes.append(
                    {
                        "id": f"gid://shopify/ProductVariant/{variant}",
                        "sku": sku,
                        "displayName": f"Product - {sku}",
                        "inventoryItem": {"id": f"gid://shopify/InventoryItem/{item}", "tracked": tracked},
                    }
                )
        return {"productVariants": {"nodes": nodes}}

    def _shopify_CatalogVariants(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        start = int(v.get("after") or 0)
        every = list(shop.variants.items())
        nodes = [
            {
                "id": f"gid://shopify/ProductVariant/{variant}",
                "sku": sku,
                "displayName": f"Product - {sku}",
                "inventoryItem": {"id": f"gid://shopify/InventoryItem/{item}", "tracked": tracked},
            }
            for sku, (variant, item, tracked) in every[start : start + 250]
        ]
        more = start + 250 < len(every)
        return {
            "productVariants": {
                "nodes": nodes,
                "pageInfo": {"hasNextPage": more, "endCursor": str(start + 250) if more else None},
            }
        }

    def _shopify_FirstLocation(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        location = {"id": f"gid://shopify/Location/{shop.location_id}", "name": "Shop location"}
        return {"locations": {"nodes": [location]}}

    def _shopify_SetAvailable(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        key = str(v.get("key") or "")
        if key and key in shop.answers:
            return shop.answers[key]
        by_item = {item: sku for sku, (_, item, _) in shop.variants.items()}
        changes, errors = [], []
        for i, q in enumerate(v["input"]["quantities"]):
            item = q["inventoryItemId"].rsplit("/", 1)[1]
            location = q["locationId"].rsplit("/", 1)[1]
            if item not in by_item or location != shop.location_id:
                errors.append({"code": "INVALID_INVENTORY_ITEM", "field": ["input", "quantities", str(i)]})
                continue
            before = shop.available.get((item, location), 0)
            changes.append((item, location, q["quantity"], before))
        answer: dict[str, Any]
        if errors:
            answer = {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": errors}}
        else:
            for item, location, quantity, _ in changes:
                shop.available[(item, location)] = quantity
                shop.changes.append((time.time(), by_item[item], quantity))
            group: dict[str, Any] = {
                "reason": v["input"].get("reason"),
                "changes": [
                    {"name": "available", "delta": quantity - before, "quantityAfterChange": None}
                    for _, _, quantity, before in changes
                ],
            }
            answer = {"inventorySetQuantities": {"inventoryAdjustmentGroup": group, "userErrors": []}}
        if key:
            shop.answers[key] = answer
        return answer

    def _shopify_SuggestedRefund(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        """Order.suggestedRefund: what is left of the order's payment to refund, through the
        transaction that paid it (Shopify's bogus test gateway)."""
        order = shop.orders.get(str(v["id"]).rsplit("/", 1)[-1])
        if order is None:
            return {"order": None}
        paid = float(order["totalPriceSet"]["shopMoney"]["amount"] or 0)
        left = max(
            0.0, paid - sum(float(r["totalRefundedSet"]["shopMoney"]["amount"]) for r in order["refunds"])
        )
        most = {"shopMoney": {"amount": f"{left:.2f}", "currencyCode": order["currencyCode"]}}
        parent = {"id": f"gid://shopify/OrderTransaction/{order['legacyResourceId']}1"}
        suggested = {
            "maximumRefundableSet": most,
            "suggestedTransactions": [
                {"gateway": "bogus", "parentTransaction": parent, "maximumRefundableSet": most}
            ],
        }
        return {"order": {"suggestedRefund": suggested}}

    def _shopify_RefundCreate(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        """refundCreate with its @idempotent key: the same key again answers the first refund."""
        key = str(v.get("key") or "")
        if key and key in shop.answers:
            return shop.answers[key]
        refund_input = v["input"]
        order = shop.orders.get(str(refund_input["orderId"]).rsplit("/", 1)[-1])
        if order is None:
            return {
                "refundCreate": {
                    "refund": None,
                    "userErrors": [{"field": ["orderId"], "message": "Order does not exist"}],
                }
            }
        amount = sum(float(t["amount"]) for t in refund_input.get("transactions") or [])
        made = sum(len(o["refunds"]) for o in shop.orders.values())
        refund = {
            "id": f"gid://shopify/Refund/{930_000_000 + made}",
            "totalRefundedSet": {
                "shopMoney": {"amount": f"{amount:.2f}", "currencyCode": order["currencyCode"]}
            },
            "note": refund_input.get("note"),
            "refundLineItems": refund_input.get("refundLineItems") or [],
        }
        order["refunds"].append(refund)
        answer = {
            "refundCreate": {
                "refund": {"id": refund["id"], "totalRefundedSet": refund["totalRefundedSet"]},
                "userErrors": [],
            }
        }
        if key:
            shop.answers[key] = answer
        return answer

    def _shopify_ChangedOrders(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        bounds = re.findall(r"updated_at:(>=|<=)'([^']+)'", str(v.get("query") or ""))
        since = next((b for op, b in bounds if op == ">="), "")
        until = next((b for op, b in bounds if op == "<="), "9999")
        matching = sorted(
            (o for o in shop.orders.values() if since <= o["updatedAt"] <= until),
            key=lambda o: o["updatedAt"],
        )
        start = int(v.get("after") or 0)
        page = matching[start : start + 250]
        more = start + 250 < len(matching)
        return {
            "orders": {
                "nodes": [
                    {"legacyResourceId": o["legacyResourceId"], "updatedAt": o["updatedAt"]} for o in page
                ],
                "pageInfo": {"hasNextPage": more, "endCursor": str(start + 250) if more else None},
            }
        }

    def _shopify_OrderForIntake(self, shop: ShopifyShop, v: dict[str, Any]) -> dict[str, Any]:
        order = shop.orders.get(str(v["id"]).rsplit("/", 1)[-1])
        if order is None:
            return {"order": None}
        nodes = order["lineItems"]["nodes"]
        start = int(v.get("after") or 0)
        more = start + 100 < len(nodes)
        lines = {
            "nodes": nodes[start : start + 100],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + 100) if more else None},
        }
        return {"order": {**order, "lineItems": lines}}

    def _woo_orders(
        self, site: WooSite, target: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if not site.authorises(headers):
            return 401, {}, WOO_UNAUTHORIZED
        parts = urlsplit(target)
        rest = parts.path.removeprefix("/wp-json/wc/v3/orders").strip("/")
        with self._lock:
            if rest:
                order = site.orders.get(int(rest)) if rest.isdigit() else None
                if order is None:
                    return (
                        404,
                        {},
                        {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID."},
                    )
                return 200, {}, order
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            since, until = q.get("modified_after", ""), q.get("modified_before", "9999")
            matching = sorted(
                (o for o in site.orders.values() if since < str(o["date_modified_gmt"]) < until),
                key=lambda o: str(o["date_modified_gmt"]),
            )
            per_page, page = int(q.get("per_page", 10)), int(q.get("page", 1))
            chosen = matching[(page - 1) * per_page : page * per_page]
            fields = q.get("_fields", "").split(",") if q.get("_fields") else None
            answer = [{k: o.get(k) for k in fields} if fields else o for o in chosen]
            return 200, {"x-wp-total": str(len(matching))}, answer

    def _bigcommerce(
        self, store: BigCommerceStore, method: str, target: str, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        path = parts.path.split("/", 3)[3]  # after /stores/<hash>/
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        sent: dict[str, Any] = json.loads(body) if body else {}
        found = re.fullmatch(r"v2/orders/(\d+)(?:/(products|shipping_addresses|shipments))?", path)
        if found:
            held = store.orders.get(int(found.group(1)))
            if held is None:
                return 404, {}, BIGCOMMERCE_NOT_FOUND
            part = found.group(2)
            if part is None and method == "GET":
                return 200, {}, held["order"]
            if part is None and method == "PUT":
                if "status_id" in sent:
                    held["order"]["status_id"] = int(sent["status_id"])
                    held["order"]["status"] = {5: "Cancelled"}.get(held["order"]["status_id"], "Updated")
                held["order"]["date_modified"] = _rfc2822(time.time())
                return 200, {}, held["order"]
            if part == "shipments" and method == "POST":
                shipment = {"id": len(store.shipments) + 1, "order_id": held["order"]["id"], **sent}
                store.shipments.append(shipment)
                held["shipments"].append(shipment)
                shipped = {
                    int(i["order_product_id"]): int(i["quantity"]) for i in shipment.get("items") or []
                }
                for product in held["products"]:
                    product["quantity_shipped"] = int(product.get("quantity_shipped") or 0) + shipped.get(
                        product["id"], 0
                    )
                return 201, {}, shipment
            if method == "GET" and part:
                page, limit = int(q.get("page", 1)), int(q.get("limit", 50))
                return 200, {}, held[part][(page - 1) * limit : page * limit]
        if path == "v2/orders" and method == "GET":
            since = _from_rfc2822(q.get("min_date_modified")) or 0.0
            until = _from_rfc2822(q.get("max_date_modified")) or float("inf")
            matching = sorted(
                (
                    h["order"]
                    for h in store.orders.values()
                    if since <= (_from_rfc2822(h["order"].get("date_modified")) or 0) <= until
                ),
                key=lambda o: _from_rfc2822(o.get("date_modified")) or 0,
            )
            page, limit = int(q.get("page", 1)), int(q.get("limit", 50))
            chosen = matching[(page - 1) * limit : page * limit]
            return (200, {}, chosen) if chosen else (204, {}, None)
        found = re.fullmatch(r"v3/orders/(\d+)/payment_actions/(refunds|refund_quotes)", path)
        if found:
            held = store.orders.get(int(found.group(1)))
            if held is None:
                return 404, {}, {"status": 404, "title": "Order not found"}
            if method == "GET":
                return 200, {}, {"data": held["refunds"], "meta": {}}
            amount = sum(float(i.get("amount") or 0) for i in sent.get("items") or [])
            if found.group(2) == "refund_quotes":
                method_ = [
                    {
                        "provider_id": "testgateway",
                        "provider_description": "Test Payment Gateway",
                        "amount": amount,
                        "offline": False,
                        "offline_provider": False,
                        "offline_reason": "",
                    }
                ]
                return (
                    201,
                    {},
                    {
                        "data": {
                            "order_id": held["order"]["id"],
                            "total_refund_amount": amount,
                            "refund_methods": [method_],
                        },
                        "meta": {},
                    },
                )
            refund = {
                "id": len(held["refunds"]) + 1,
                "order_id": held["order"]["id"],
                "reason": sent.get("reason"),
                "total_amount": amount,
                "items": sent.get("items"),
                "payments": sent.get("payments"),
            }
            held["refunds"].append(refund)
            held["order"]["refunded_amount"] = f"{sum(float(r['total_amount']) for r in held['refunds']):.4f}"
            return 201, {}, {"data": refund, "meta": {}}
        if path == "v3/catalog/variants" and method == "GET":
            data = [
                {k: v for k, v in variant.items() if k != "inventory_tracking"}
                for s, variant in store.variants.items()
                if s == q.get("sku")
            ]
            return 200, {}, {"data": data, "meta": {}}
        if path == "v3/catalog/products" and method == "GET":
            by_product: dict[int, list[dict[str, Any]]] = {}
            for entry in store.variants.values():
                by_product.setdefault(int(entry["product_id"]), []).append(entry)
            products = []
            for product_id, group in sorted(by_product.items()):
                tracking = group[0]["inventory_tracking"]
                products.append(
                    {
                        "id": product_id,
                        "name": f"Product {group[0]['sku']}",
                        "sku": group[0]["sku"] if tracking == "product" else "",
                        "inventory_tracking": tracking,
                        "variants": [
                            {k: v for k, v in x.items() if k != "inventory_tracking"} for x in group
                        ],
                    }
                )
            page, limit = int(q.get("page", 1)), int(q.get("limit", 50))
            total_pages = max(1, -(-len(products) // limit))
            meta = {"pagination": {"total": len(products), "current_page": page, "total_pages": total_pages}}
            return 200, {}, {"data": products[(page - 1) * limit : page * limit], "meta": meta}
        found = re.fullmatch(r"v3/catalog/products/(\d+)", path)
        if found and method == "GET":
            variant = next(
                (v for v in store.variants.values() if v["product_id"] == int(found.group(1))), None
            )
            if variant is None:
                return 404, {}, {"status": 404, "title": "The requested product was not found."}
            product = {
                "id": variant["product_id"],
                "name": f"Product {variant['sku']}",
                "inventory_tracking": variant["inventory_tracking"],
            }
            return 200, {}, {"data": product, "meta": {}}
        if path == "v3/inventory/adjustments/absolute" and method == "PUT":
            by_variant = {int(v["id"]): v for v in store.variants.values()}
            product_of = {int(v["product_id"]): v for v in store.variants.values()}
            updates = []
            for item in sent.get("items") or []:
                variant = by_variant.get(int(item.get("variant_id") or 0)) or product_of.get(
                    int(item.get("product_id") or 0)
                )
                if variant is None:
                    return 422, {}, {"status": 422, "title": "Item not found", "errors": {}}
                updates.append((int(item["location_id"]), variant, int(item["quantity"])))
            for location, variant, quantity in updates:
                store.stock[(location, int(variant["id"]))] = quantity
                store.changes.append((time.time(), variant["sku"], quantity))
            return 200, {}, {"transaction_id": f"txn-{len(store.changes)}"}
        return 404, {}, BIGCOMMERCE_NOT_FOUND

    def _woo(
        self, site: WooSite, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if not site.authorises(headers):
            return 401, {}, WOO_UNAUTHORIZED
        parts = urlsplit(target)
        path = parts.path.removeprefix("/wp-json/wc/v3/products").strip("/")
        with self._lock:
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if method == "GET" and path == "" and "sku" in q:
                return 200, {}, [dict(p) for s, p in site.products.items() if s == q["sku"]]
            per_page, page = int(q.get("per_page", 10)), int(q.get("page", 1))
            if method == "GET" and path == "":  # the catalogue: products, variable parents for variations
                top = [dict(p) for p in site.products.values() if not p["parent_id"]]
                parents = sorted({p["parent_id"] for p in site.products.values() if p["parent_id"]})
                top += [
                    {"id": n, "name": f"Product {n}", "sku": "", "type": "variable", "parent_id": 0}
                    for n in parents
                ]
                return 200, {}, top[(page - 1) * per_page : page * per_page]
            found = re.fullmatch(r"(\d+)/variations", path)
            if method == "GET" and found:
                variations = [
                    dict(p) for p in site.products.values() if p["parent_id"] == int(found.group(1))
                ]
                return 200, {}, variations[(page - 1) * per_page : page * per_page]
            if method == "POST" and (path == "batch" or path.endswith("/variations/batch")):
                parent = int(path.split("/")[0]) if path != "batch" else 0
                by_id = {p["id"]: p for p in site.products.values() if p["parent_id"] == parent}
                updated = []
                for change in json.loads(body or b"{}").get("update") or []:
                    product = by_id.get(change.get("id"))
                    if product is None:
                        updated.append({"id": change.get("id"), "error": WOO_INVALID_ID})
                        continue
                    product.update(manage_stock=True, stock_quantity=int(change["stock_quantity"]))
                    product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"
                    site.changes.append((time.time(), product["sku"], product["stock_quantity"]))
                    updated.append(dict(product))
                return 200, {}, {"update": updated}
        return 404, {}, WOO_NO_ROUTE


def _rfc2822(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _from_rfc2822(value: Any) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError):
        return None


ENV = "OMS_LOCAL_CHANNELS"  # the emulator's URL in a local function's environment (oms_local._worker_main)
