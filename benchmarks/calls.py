"""Every AWS call one order causes, by function, service and operation, with DynamoDB capacity
units from item sizes: from its webhook to confirmed (and the customer emailed), then from
confirmed to completed (allocated, labelled and shipped by the auto-fulfilling demo store, tracked
by the poller until the sandbox carrier delivers it, completed by the daily run)."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from benchmarks.capacity import Indexes, units
from benchmarks.harness import Bench
from oms_local.samples import fixture, shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE

# Calls the Lambda service makes for event source mappings: SQS receives and deletes are billed
# SQS requests; stream reads by Lambda are free.
POLLER = "(Lambda event source mappings)"
FREE = {("dynamodbstreams", op) for op in ("DescribeStream", "GetShardIterator", "GetRecords", "ListStreams")}


FULFILMENT = "FulfilmentFunction"


def _table(bench: Bench) -> dict[str, Any]:
    ddb = bench.cloud.clients["dynamodb"]
    return {
        f"{i['PK']['S']}|{i['SK']['S']}": i for i in ddb.scan(TableName=bench.cloud.ref("OmsTable"))["Items"]
    }


def _flow(bench: Bench, payload: dict[str, Any]) -> dict[str, Any]:
    """Webhook to confirmed: fulfilment paused, so the calls are intake's and its followers'."""
    cloud = bench.cloud
    cloud.pause(FULFILMENT)
    state = _table(bench)
    secret = str(SHOPIFY_STORE["webhook_secret"])
    delivery = shopify_delivery(payload, store_id="demo-shopify", secret=secret)
    bench.clear()
    with bench.recorder.recording():
        status, _, body = bench.api.request(
            "POST", delivery.path, headers=delivery.headers, raw_body=delivery.body
        )
        assert status == 202, body
        cloud.drain()
    return _summary(bench, state, f"demo-shopify.{payload['id']}", len(payload["line_items"]))


def _lifecycle(bench: Bench, order_id: str, lines: int) -> dict[str, Any]:
    """Confirmed to completed: the paused fulfilment message is delivered, then the poller runs
    each time the parcel is due (runs that find nothing due are the schedule's fixed cost, not the
    order's), then the daily completer. Reads made here to know when to fire are not recorded."""
    cloud = bench.cloud
    state = _table(bench)
    bench.clear()

    def recorded(step: Any) -> None:
        with bench.recorder.recording():
            step()
            cloud.drain()

    def fire(rule: str, at: datetime) -> None:
        result = cloud.fire(rule, at)
        assert result.ok, result.error

    cloud.resume(FULFILMENT)
    recorded(lambda: None)
    for _ in range(20):
        _, body = bench.api("GET", f"/orders/{order_id}/shipments")
        due = [
            s["tracking"]["next_check_at"] for s in body["shipments"] if s["tracking"].get("next_check_at")
        ]
        if not due:
            break
        when = datetime.fromisoformat(max(due))
        recorded(partial(fire, "TrackingPollerFunctionPoll", when))
    order = bench.api("GET", f"/orders/{order_id}")[1]
    assert order["status"] == "delivered", order["status"]
    completion = datetime.fromisoformat(order["delivered_at"]) + timedelta(days=1)
    recorded(partial(fire, "OrderCompleterFunctionDaily", completion))
    return _summary(bench, state, order_id, lines, http_requests=0)


def _summary(
    bench: Bench, state: dict[str, Any], order_id: str, lines: int, *, http_requests: int = 1
) -> dict[str, Any]:
    cloud = bench.cloud
    calls = [
        c
        for c in bench.recorder.calls
        if (c.service, c.operation) not in FREE
        and not (
            c.caller == "" and c.operation == "ReceiveMessage" and not (c.response or {}).get("Messages")
        )
    ]
    status_after = bench.api("GET", f"/orders/{order_id}")[1]["status"]
    by_function: dict[str, Counter[str]] = defaultdict(Counter)
    for call in calls:
        by_function[call.caller or POLLER][f"{call.service}:{call.operation}"] += 1
    indexes = Indexes(cloud.stack.resources["OmsTable"]["Properties"])
    intake = [c for c in calls if c.caller == "IntakeFunction"]
    return {
        "order": order_id,
        "lines": lines,
        "http_requests": http_requests,
        "final_status": status_after,
        "calls_by_function": {k: dict(sorted(v.items())) for k, v in sorted(by_function.items())},
        "calls_by_service": dict(sorted(Counter(f"{c.service}:{c.operation}" for c in calls).items())),
        "total_calls": len(calls),
        "placed_to_confirmed_dynamodb_requests": sum(1 for c in intake if c.service == "dynamodb"),
        "dynamodb_units": units(calls, indexes, state),
        "eventbridge_events": sum(
            len(c.params.get("Entries", [])) for c in calls if c.operation == "PutEvents"
        ),
        "emails": sum(1 for c in calls if c.operation == "SendEmail"),
        "alerts": sum(1 for c in calls if c.service == "sns" and c.operation == "Publish"),
        "invocations": dict(bench.invocations),
        "_calls": calls,
    }


def measure(bench: Bench) -> dict[str, Any]:
    logging.getLogger().setLevel(logging.WARNING)
    payload = fixture("shopify/orders-create.json")
    payload.update(id=20_000_001, financial_status="paid")
    skus = {f"BENCH-L{n:02d}": 1 for n in range(25)}
    for sku in skus:
        assert (
            bench.api("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 100}]})[0]
            == 200
        )
    bench.cloud.drain()
    three = _flow(bench, payload)
    after = _lifecycle(bench, three["order"], three["lines"])
    twenty_five = _flow(bench, shopify_order(20_000_002, skus=skus))
    return {
        "fixture_3_lines": three,
        "order_25_lines": twenty_five,
        "fixture_confirmed_to_completed": after,
        "order_500_lines_webhook_to_shipped": big_order(bench, 500),
        "return_request_to_refund": return_flow(bench),
    }


def return_flow(bench: Bench) -> dict[str, Any]:
    """One customer's return of a delivered 1-line order, from the public page to the refund: the
    order found by number and email, the return asked for (approved at once by the store's policy,
    a sandbox label bought), the return parcel tracked by the poller until it arrives, counted in
    (restocked) by staff and refunded on receipt. Getting the order delivered is not recorded."""
    cloud = bench.cloud
    sku, reference = "BENCH-RET", "BENCH-RET-1"
    assert (
        bench.api("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-west", "on_hand": 10}]})[0] == 200
    )
    order = {
        "store_id": "demo-woo",
        "reference": reference,
        "currency": "USD",
        "customer": {"email": "ada@example.com", "first_name": "Ada"},
        "shipping_address": {
            "name": "Ada L.",
            "line1": "1 Main St",
            "city": "Boston",
            "postal_code": "02110",
            "country_code": "US",
        },
        "lines": [{"sku": sku, "name": "Bench tee", "quantity": 1, "unit_price": "40.00"}],
    }
    status, _, body = bench.api.request("POST", "/orders", order, headers={"idempotency-key": reference})
    assert status == 202, body
    cloud.drain()
    order_id = f"demo-woo.{reference}"
    for shipment in bench.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]:
        for step in ("ship", "delivered"):
            assert bench.api("POST", f"/shipments/{shipment['shipment_id']}/{step}")[0] == 200
    cloud.drain()
    assert bench.api("GET", f"/orders/{order_id}")[1]["status"] == "delivered"
    state = _table(bench)
    bench.clear()
    public = {"accept": "application/json", "x-forwarded-for": "198.51.100.7"}
    who = {"order_number": reference, "email": "ada@example.com"}
    with bench.recorder.recording():
        status, _, found = bench.api.request("POST", "/returns/start", who, headers=public)
        assert status == 200, found
        ask = {
            **who,
            "lines": [{"line_id": found["lines"][0]["line_id"], "quantity": 1, "reason": "size_or_fit"}],
        }
        status, _, started = bench.api.request("POST", "/returns/start", ask, headers=public)
        assert (status, started["status"]) == (201, "approved"), started
        cloud.drain()
    return_id = started["return_id"]
    checks = 0
    for _ in range(20):
        due = bench.api("GET", f"/returns/{return_id}")[1]["tracking"].get("next_check_at")
        if not due:
            break
        checks += 1
        with bench.recorder.recording():
            result = cloud.fire("TrackingPollerFunctionPoll", datetime.fromisoformat(due))
            assert result.ok, result.error
            cloud.drain()
    receive = {"lines": [{"line_id": found["lines"][0]["line_id"], "quantity": 1, "disposition": "restock"}]}
    with bench.recorder.recording():
        status, _, received = bench.api.request(
            "POST", f"/returns/{return_id}/receive", receive, headers={"idempotency-key": f"{reference}-in"}
        )
        assert (status, received["status"]) == (200, "closed"), received
        cloud.drain()
    summary = _summary(bench, state, order_id, 1, http_requests=3)
    summary["return"] = return_id
    summary["return_status"] = received["status"]
    summary["refunded"] = received["refunded"]
    # Each poller run that found the parcel due asked the carrier once (EasyPost: GET /trackers/{id}).
    summary["carrier_calls"] = {"rates": 1, "buy": 1, "tracking_checks": checks}
    return summary


def big_order(bench: Bench, lines: int) -> dict[str, Any]:
    """A wholesale order of ``lines`` SKUs from its webhook to shipped (reserved, allocated, labelled
    and shipped by the auto-fulfilling demo store): every change beyond one transaction is staged."""
    skus = {f"BENCH-W{n:03d}": 1 for n in range(lines)}
    for sku in skus:
        counted = {"locations": [{"location": "wh-east", "on_hand": 10}]}
        assert bench.api("PUT", f"/stock/{sku}", counted)[0] == 200
    bench.cloud.drain()
    cloud = bench.cloud
    cloud.resume(FULFILMENT)
    state = _table(bench)
    payload = shopify_order(20_000_500, skus=skus)
    delivery = shopify_delivery(payload, store_id="demo-shopify", secret=str(SHOPIFY_STORE["webhook_secret"]))
    bench.clear()
    with bench.recorder.recording():
        status, _, body = bench.api.request(
            "POST", delivery.path, headers=delivery.headers, raw_body=delivery.body
        )
        assert status == 202, body
        cloud.drain()
    summary = _summary(bench, state, f"demo-shopify.{payload['id']}", lines)
    assert summary["final_status"] == "shipped", summary["final_status"]
    summary["dynamodb_requests"] = sum(1 for c in summary["_calls"] if c.service == "dynamodb")
    summary["dynamodb_requests_by_function"] = dict(
        Counter(c.caller or POLLER for c in summary["_calls"] if c.service == "dynamodb")
    )
    return summary
