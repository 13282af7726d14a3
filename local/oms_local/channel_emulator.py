"""The stores' APIs on this machine: Shopify's GraphQL Admin API and WooCommerce's REST API v3 for
the calls the OMS makes about stock, answering as their documentation shows (the shapes of
``productVariants``, ``locations``, ``inventorySetQuantities`` with its ``@idempotent`` key and its
``extensions.cost``; WooCommerce's ``GET /products?sku=`` and batch endpoints), and remembering
what it was told, so a test reads the quantity a store would now show.

Every channel host is one emulated shop or site: the local stack's functions reach it over plain
HTTP on 127.0.0.1 with the host they meant in ``X-Forwarded-Host`` (see
``oms_local._worker_main``). A test can make the next answers fail as the platforms do: a 5xx, a
429 with ``Retry-After``, Shopify's ``THROTTLED``, or a slow answer.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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

    def sell(self, sku: str, *, tracked: bool = True) -> None:
        n = 40_000_000 + len(self.variants)
        self.variants[sku] = (str(n), str(n + 500_000_000), tracked)

    def quantity(self, sku: str, location: str | None = None) -> int | None:
        item = self.variants[sku][1]
        return self.available.get((item, location or self.location_id))


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

    def quantity(self, sku: str) -> int | None:
        value = self.products[sku]["stock_quantity"]
        return None if value is None else int(value)


class ChannelEmulator:
    """Shops and sites by host, served on 127.0.0.1 (``start``/``stop`` or ``with``)."""

    def __init__(self) -> None:
        self.shops: dict[str, ShopifyShop] = {}
        self.sites: dict[str, WooSite] = {}
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
                data = json.dumps(payload).encode()
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

    def _woo(
        self, site: WooSite, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        expected = base64.b64encode(f"{site.consumer_key}:{site.consumer_secret}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {}, WOO_UNAUTHORIZED
        parts = urlsplit(target)
        path = parts.path.removeprefix("/wp-json/wc/v3/products").strip("/")
        with self._lock:
            if method == "GET" and path == "":
                sku = parse_qs(parts.query).get("sku", [""])[0]
                return 200, {}, [dict(p) for s, p in site.products.items() if s == sku]
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


ENV = "OMS_LOCAL_CHANNELS"  # the emulator's URL in a local function's environment (oms_local._worker_main)
