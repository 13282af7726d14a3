"""The admin app's orders screen with many orders in the table, in Chromium (Debian's, driven by
Playwright) on the local stack: N orders written straight into the table, a staff user signed in
through the local hosted UI, then the app opened afresh (browser cache cleared) on the orders
screen. Measured with the browser's own clocks: the time from navigation start until the first
page of orders is on screen (its 50 rows rendered), and the JS and CSS transferred (compressed, as
the resource timings report them)."""

from __future__ import annotations

import io
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.bulk import _orders
from oms.data.order_repository import order_item
from oms_local.logs import LogPrinter
from oms_local.runner import start

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ROWS = "document.querySelectorAll('table[aria-label=Orders] tbody tr a').length"
# Injected through DevTools before the app's own scripts (the app's CSP forbids eval, so Playwright's
# wait_for_function cannot run in the page): stamps the moment the first page of orders is shown.
WATCH = f"""
new MutationObserver((_, observer) => {{
  if ({ROWS} >= 50) {{ window.firstPageAt = performance.now(); observer.disconnect(); }}
}}).observe(document, {{ childList: true, subtree: true }});
"""


def _wait(page: Any, expression: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"{expression} never became true")


def _write(running: Any, n: int) -> float:
    ddb, table = running.client("dynamodb"), running.cloud.ref("OmsTable")
    made = _orders(n)
    # A store's recent weeks: one order a minute up to now (the fixture's own date is 2008).
    now = datetime.now(UTC).replace(microsecond=0)
    made = [o.model_copy(update={"placed_at": now - timedelta(minutes=i)}) for i, o in enumerate(made)]
    began = time.perf_counter()
    items = [{"PutRequest": {"Item": order_item(o, [])}} for o in made]
    for i in range(0, len(items), 25):
        request = {table: items[i : i + 25]}
        while request:
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return time.perf_counter() - began


def measure(orders: int = 10_000, runs: int = 5) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    running = start(port=0, printer=LogPrinter(stream=io.StringIO()), paused=("FulfilmentFunction",))
    try:
        written = _write(running, orders)
        app = running.app.url
        password = running.users["staff@demo.local"].password
        first_page: list[float] = []
        transferred: list[int] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(runs + 1):  # the first run warms the stack's functions, not counted
                context = browser.new_context()
                context.add_init_script(WATCH)
                page = context.new_page()
                page.goto(f"{app}/#/orders")  # signed in, the app comes back to the orders
                page.get_by_role("button", name="Sign in").click()
                page.get_by_label("Email").fill("staff@demo.local")
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                _wait(page, "window.firstPageAt")
                # The screen's own follow-up reads (the status counts) finish first: the local
                # stack's one moto server answers one request at a time.
                page.wait_for_load_state("networkidle")
                cdp = context.new_cdp_session(page)
                cdp.send("Network.clearBrowserCache")
                page.goto(f"{app}/?fresh={time.time_ns()}#/orders")
                rendered = _wait(page, "window.firstPageAt")
                sizes = page.evaluate(
                    """performance.getEntriesByType('resource')
                         .filter(e => /\\.(js|css)$/.test(new URL(e.name).pathname))
                         .reduce((n, e) => n + e.transferSize, 0)"""
                )
                first_page.append(float(rendered))
                transferred.append(int(sizes))
                page.wait_for_load_state("networkidle")
                context.close()
            browser.close()
        first_page, transferred = first_page[1:], transferred[1:]
        return {
            "note": "local stack on moto; the first run warms the functions and is not counted",
            "orders": orders,
            "orders_written_s": round(written, 1),
            "runs": runs,
            "first_page_ms_median": round(statistics.median(first_page), 1),
            "first_page_ms_max": round(max(first_page), 1),
            "js_css_transferred_kb": round(statistics.median(transferred) / 1024, 1),
        }
    finally:
        running.close()
