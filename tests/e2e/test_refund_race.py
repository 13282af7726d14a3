"""Twenty staff refunding one order at the same moment, over HTTP on the local stack (moto server):
the refunds that are made never add up to more than was captured, every request gets an answer
(made, or refused as more than is left), and the order records exactly the refunds answered made."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from oms_local.runner import Running, wait_for

pytestmark = pytest.mark.e2e

REQUESTS = 20
EACH = Decimal("7.00")  # 20 x 7.00 = 140.00 asked of 100.00 captured


def test_twenty_concurrent_refunds_never_give_back_more_than_was_captured(local: Running) -> None:
    sku = f"RACE-{uuid.uuid4().hex[:6].upper()}"
    assert (
        local.request("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 5}]})[0]
        == 200
    )
    reference = f"race-{uuid.uuid4().hex[:8]}"
    order = {
        "store_id": "demo-woo",
        "reference": reference,
        "currency": "USD",
        "shipping_address": {"name": "R. Acer", "line1": "1 Main St", "city": "Boston", "country_code": "US"},
        "lines": [{"sku": sku, "name": "Race item", "quantity": 1, "unit_price": "100.00"}],
    }
    status, queued = local.request("POST", "/orders", order)
    assert status == 202, queued
    order_id = queued["order_id"]
    assert wait_for(
        lambda: local.request("GET", f"/orders/{order_id}")[1].get("status") == "fulfilling", timeout=60
    )

    start = threading.Barrier(REQUESTS)

    def refund(i: int) -> tuple[int, Any]:
        start.wait()
        return local.request(
            "POST", f"/orders/{order_id}/refunds", {"amount": str(EACH), "reason": f"race {i}"}
        )

    with ThreadPoolExecutor(REQUESTS) as pool:
        answers = list(pool.map(refund, range(REQUESTS)))

    made = [body for status, body in answers if status == 201]
    refused = [body["code"] for status, body in answers if status == 409]
    assert len(made) + len(refused) == REQUESTS, answers
    assert set(refused) <= {"refund_exceeds_captured", "concurrent_update"}, refused
    assert sum(Decimal(r["total"]["amount"]) for r in made) <= Decimal("100.00")
    assert len(made) >= 1
    _, stored = local.request("GET", f"/orders/{order_id}/refunds")
    assert sorted(r["refund_id"] for r in stored["refunds"]) == sorted(r["refund_id"] for r in made)
    assert Decimal(stored["refunded"]["amount"]) == EACH * len(made) <= Decimal(stored["captured"]["amount"])
    print(f"{len(made)} refunds made, refused: {sorted(refused)}")
    if "concurrent_update" not in refused:
        assert len(made) == 14  # all that fit: 14 x 7.00 = 98.00
