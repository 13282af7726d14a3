"""A bulk job over many orders on the local stack (`make run`'s stack, on moto): N confirmed orders
written straight into the table (placing them through webhooks would measure the intake, see
throughput.py), then one ``add_tag`` job over all of them, timed from the 202 until every order has
its result. Like throughput.py, this measures moto as much as our code."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

from oms.channels.incoming import normalise
from oms.data.order_repository import order_item
from oms.intake_rules import decide
from oms.models import Order, OrderSnapshot
from oms.order_changes import Actor
from oms_local.logs import LogPrinter
from oms_local.runner import start, wait_for
from oms_local.samples import shopify_order

STORE = "demo-shopify"


def _orders(n: int) -> list[Order]:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    incoming = normalise(
        "shopify", "orders/create", shopify_order(50_000_000), store_id=STORE, received_at=at
    )
    assert isinstance(incoming, OrderSnapshot)
    change = decide(None, incoming, Actor("bench", "bench", at))
    assert change is not None
    assert change.order is not None
    first = change.order.order
    return [
        first.model_copy(
            update={
                "order_id": f"{STORE}.{50_000_000 + i}",
                "channel_order_id": str(50_000_000 + i),
                "number": f"#B{i}",
            }
        )
        for i in range(n)
    ]


def measure(orders: int) -> dict[str, Any]:
    running = start(
        port=0, time_scale=6, printer=LogPrinter(stream=io.StringIO()), paused=("FulfilmentFunction",)
    )
    try:
        ddb, table = running.client("dynamodb"), running.cloud.ref("OmsTable")
        made = _orders(orders)
        began = time.perf_counter()
        items = [{"PutRequest": {"Item": order_item(o, [])}} for o in made]
        for i in range(0, len(items), 25):
            request = {table: items[i : i + 25]}
            while request:
                request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        written = time.perf_counter() - began
        body = {"action": "add_tag", "order_ids": [o.order_id for o in made], "params": {"tag": "bench-wave"}}
        began = time.perf_counter()
        status, job = running.request("POST", "/jobs", body, headers={"idempotency-key": "bench-bulk"})
        accepted = time.perf_counter() - began
        if status != 202:
            raise RuntimeError(f"POST /jobs answered {status}: {job}")

        def progress() -> dict[str, Any]:
            return dict(running.request("GET", "/jobs/bench-bulk?limit=1")[1])

        finished = wait_for(
            lambda: progress()["status"] == "done", timeout=max(600, orders * 0.2), interval=2
        )
        elapsed = time.perf_counter() - began
        final = progress()
        return {
            "orders": orders,
            "orders_written_s": round(written, 1),
            "accepted_ms": round(accepted * 1000, 1),
            "finished": finished,
            "seconds": round(elapsed, 1),
            "orders_per_second": round((final["done"] + final["failed"]) / elapsed, 1),
            "done": final["done"],
            "failed": final["failed"],
            "chunks": -(-orders // 25),
            "note": "one add_tag job; measures moto as much as our code (one in-process moto server)",
        }
    finally:
        running.close()
