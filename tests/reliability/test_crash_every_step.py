"""Crash at every step: one order's whole life (webhook, intake, publisher, notifier, fulfilment,
channel sync, tracking poller, completer), with the k-th AWS call of one function failing, for
every function and every k its happy path makes: the call happens, then the function dies before it
sees the answer (the harder case: a crash before call k leaves what a crash after call k-1 leaves,
and before the first call, nothing; the recorder can fail a call before it is sent too, which the
throttling suite uses in its own way). After the redeliveries AWS
would make (the store's webhook retry, SQS visibility, the stream's retry, the schedule's next
run), the order's final state equals the run without a fault: its status path, stock, shipments,
tracking and the distinct events it emitted.

Emails are the one effect that cannot be exactly-once: a notifier that dies after SES accepted a
message sends it again on redelivery. The test checks every email went out at least once (the
set of emails equals the no-fault run's)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from oms_local import motofix
from oms_local.awscalls import Call, Recorder
from oms_local.cloud import LocalCloud
from oms_local.invoke import InProcessInvoker
from oms_local.runner import LOCAL_PARAMETERS
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import seed
from tests.stack import Stack

pytestmark = pytest.mark.reliability
SECRET = "crash-test-webhook-secret"
STORE = "crash-shop"
BIG_STORE = "crash-wholesale"  # fulfilled by staff: its orders stay allocated
FUNCTIONS = (
    "WebhookFunction",
    "IntakeFunction",
    "PublisherFunction",
    "NotifierFunction",
    "FulfilmentFunction",
    "ChannelSyncFunction",
    "TrackingPollerFunction",
    "OrderCompleterFunction",
    "BackorderReleaseFunction",  # each life counts stock in for its SKU: a release finding nothing held
    "SearchIndexerFunction",
    "InventorySyncFunction",  # reads the stores per batch of stock events, to find none syncs
)


class World:
    def __init__(self, stack: Stack, recorder: Recorder) -> None:
        self.stack = stack
        self.recorder = recorder
        self.n = 0
        self.big_skus: list[str] = []

    def life(self) -> tuple[dict[str, Any], list[Call]]:
        """Place one order and let everything run to completion, redelivering what failed."""
        self.n += 1
        stack, n = self.stack, 70_000 + self.n
        sku = stack.new_sku("CRASH", wh_east=10)
        delivery = shopify_delivery(
            shopify_order(n, skus={sku: 2}),
            store_id=STORE,
            secret=SECRET,
            shop_domain=f"{STORE}.myshopify.com",
            event_id=f"crash-{n}",
        )
        order_id = f"{STORE}.{n}"
        first = len(self.recorder.calls)
        with self.recorder.recording():
            for _ in range(3):  # the store retries until it gets a 2xx
                if stack.send(delivery)[0] == 202:
                    break
            self.settle(order_id)
        return self.state(order_id, sku), self.recorder.calls[first:]

    def big_life(self, lines: int, *, then_cancel: bool) -> tuple[dict[str, Any], list[Call]]:
        """A wholesale order of ``lines`` SKUs (more stock moves than one transaction holds): placed
        and auto-shipped (a crash anywhere in the staged reserve, allocate and ship converges), or
        allocated by the store that does not auto-fulfil and then cancelled in the channel."""
        self.n += 1
        stack, n = self.stack, 80_000 + self.n
        skus = [f"CRASH-BIG-{i:03d}" for i in range(lines)]
        if not self.big_skus:  # stocked once, plenty for every life: each life's own moves are compared
            with self.paused():
                for sku in skus:
                    stack.set_stock(sku, wh_east=10_000)
            self.big_skus = skus
        before = self.levels(skus)
        store = BIG_STORE if then_cancel else STORE
        payload = shopify_order(n, skus=dict.fromkeys(skus, 1), updated_at="2026-07-01T10:00:00Z")
        order_id = f"{store}.{n}"
        first = len(self.recorder.calls)
        with self.recorder.recording():
            self.deliver(payload, store, "orders/create", f"crash-big-{n}")
            self.drain_until(order_id, "fulfilling" if then_cancel else "shipped")
            if then_cancel:
                payload.update(cancelled_at="2026-07-01T11:00:00Z", updated_at="2026-07-01T11:00:00Z")
                self.deliver(payload, store, "orders/cancelled", f"crash-big-{n}-cancel")
                self.drain_until(order_id, "cancelled")
        return self.big_state(order_id, skus, before), self.recorder.calls[first:]

    def release_life(self) -> tuple[dict[str, Any], list[Call]]:
        """An order held out of stock, then released by staff counting the stock in (the stock
        API, the publisher, the backorder release, the intake), up to its allocation."""
        self.n += 1
        stack, n = self.stack, 75_000 + self.n
        with self.paused():
            sku = stack.new_sku("CRASH-BO", wh_east=0)
        order_id = f"{BIG_STORE}.{n}"
        first = len(self.recorder.calls)
        with self.recorder.recording():
            self.deliver(shopify_order(n, skus={sku: 2}), BIG_STORE, "orders/create", f"crash-bo-{n}")
            self.drain_until(order_id, "on_hold")
            count = {"locations": [{"location": "wh-east", "on_hand": 5}]}
            for _ in range(3):  # staff (or their script) retry until the count is taken
                if stack.api("PUT", f"/stock/{sku}", count)[0] == 200:
                    break
            self.drain_until(order_id, "fulfilling")
        with self.paused():
            order = stack.order(order_id)
            events = {
                e["detail"].get("event_id") or e["id"]: e["detail-type"]
                for e in stack.events.all()
                if e["detail"].get("order_id") == order_id
            }
        state = {
            "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
            "reserved": order["reservation"]["reserved"] == {sku: 2},
            "stock": self.levels([sku]),
            "events": sorted(Counter(events.values()).items()),
            "locked": self.locked(),
        }
        return state, self.recorder.calls[first:]

    def note_life(self) -> tuple[dict[str, Any], list[Call]]:
        """A customer note on an order, sent as staff's client sends it (the same Idempotency-Key
        until it gets its 201), told to the customer."""
        self.n += 1
        stack, n = self.stack, 77_000 + self.n
        order_id = f"{BIG_STORE}.{n}"
        with self.paused():
            sku = stack.new_sku("CRASH-NOTE", wh_east=5)
            self.deliver(shopify_order(n, skus={sku: 1}), BIG_STORE, "orders/create", f"crash-note-{n}")
            self.drain_until(order_id, "fulfilling")
        first = len(self.recorder.calls)
        body = {"text": "Your parcel leaves on Monday", "visibility": "customer"}
        with self.recorder.recording():
            for _ in range(3):
                status, _, _ = stack.api.request(
                    "POST", f"/orders/{order_id}/notes", body, headers={"idempotency-key": f"note-{n}"}
                )
                if status == 201:
                    break
            for _ in range(5):
                stack.cloud.drain()
        with self.paused():
            order = stack.order(order_id)
            added = [
                e["detail"]["note_id"]
                for e in stack.events.all()
                if e["detail-type"] == "OrderNoteAdded" and e["detail"].get("order_id") == order_id
            ]
        state = {
            "notes": [(x["note_id"], x["text"]) for x in order["notes"] if x.get("note_id")],
            "timeline": [x["reason"] for x in order["timeline"]][-1:],
            "events": sorted(set(added)),
            "emails": sorted(
                {
                    m["subject"].replace(order["number"], "#N")
                    for m in self.emails(order["number"])
                    if "a note about" in m["subject"]
                }
            ),
            "locked": self.locked(),
        }
        return state, self.recorder.calls[first:]

    def deliver(self, payload: dict[str, Any], store: str, topic: str, event_id: str) -> None:
        delivery = shopify_delivery(
            payload,
            store_id=store,
            secret=SECRET,
            shop_domain=f"{store}.myshopify.com",
            event_id=event_id,
            topic=topic,
        )
        for _ in range(3):  # the store retries until it gets a 2xx
            if self.stack.send(delivery)[0] == 202:
                return
        raise AssertionError("the webhook never accepted the delivery")

    def drain_until(self, order_id: str, status: str) -> None:
        for _ in range(20):
            self.stack.cloud.drain()
            with self.paused():
                if self.stack.api("GET", f"/orders/{order_id}")[1].get("status") == status:
                    return
        raise AssertionError(f"{order_id} never reached {status}")

    def levels(self, skus: list[str]) -> dict[str, tuple[int, ...]]:
        """(on_hand, reserved, available) of each SKU's total and its wh-east item."""
        ddb, table = self.stack.cloud.clients["dynamodb"], self.stack.cloud.ref("OmsTable")
        keys = [{"PK": {"S": f"SKU#{s}"}, "SK": {"S": sk}} for s in skus for sk in ("TOTAL", "LOC#wh-east")]
        out: dict[str, tuple[int, ...]] = {}
        with self.paused():
            for start in range(0, len(keys), 100):
                response = ddb.batch_get_item(RequestItems={table: {"Keys": keys[start : start + 100]}})
                for i in response["Responses"][table]:
                    out[i["PK"]["S"] + i["SK"]["S"]] = (
                        int(i["on_hand"]["N"]),
                        int(i["reserved"]["N"]),
                        int(i["available"]["N"]),
                    )
        return out

    def big_state(self, order_id: str, skus: list[str], before: dict[str, tuple[int, ...]]) -> dict[str, Any]:
        after = self.levels(skus)
        with self.paused():
            order = self.stack.order(order_id)
            shipments = self.stack.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]
            levels = Counter(
                tuple(a - b for a, b in zip(after[key], before[key], strict=True)) for key in sorted(after)
            )
            events = {
                e["detail"].get("event_id") or e["id"]: e["detail-type"]
                for e in self.stack.events.all()
                if e["detail"].get("order_id") == order_id
            }
        return {
            "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
            "reserved": len(order["reservation"]["reserved"]),
            "stock": sorted(levels.items()),
            "shipments": sorted((s["status"], len(s["lines"])) for s in shipments),
            "events": sorted(Counter(events.values()).items()),
            "locked": self.locked(),
        }

    def locked(self) -> list[str]:
        """Staged changes not finished (the sweep's index)."""
        with self.paused():
            response = self.stack.cloud.clients["dynamodb"].query(
                TableName=self.stack.cloud.ref("OmsTable"),
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :ops",
                ExpressionAttributeValues={":ops": {"S": "OPS"}},
            )
        return sorted(i["SK"]["S"] for i in response["Items"])

    def settle(self, order_id: str) -> None:
        stack = self.stack
        for _ in range(40):
            stack.cloud.drain()
            with self.paused():
                order = stack.api("GET", f"/orders/{order_id}")[1]
                shipments = stack.api("GET", f"/orders/{order_id}/shipments")[1].get("shipments", [])
            if order.get("status") == "completed":
                return
            due = [s["tracking"]["next_check_at"] for s in shipments if s["tracking"].get("next_check_at")]
            if due:
                stack.cloud.fire("TrackingPollerFunctionPoll", datetime.fromisoformat(max(due)))
            elif order.get("status") == "delivered":
                at = datetime.fromisoformat(order["delivered_at"]) + timedelta(days=1)
                stack.cloud.fire("OrderCompleterFunctionDaily", at)
        raise AssertionError(f"{order_id} never completed")

    def paused(self) -> Any:
        """The test's own reads are not part of the order's life: no faults, no recording."""
        recorder = self.recorder

        class _Off:
            def __enter__(self) -> None:
                self.saved = recorder.active
                recorder.active = False

            def __exit__(self, *exc: object) -> None:
                recorder.active = self.saved

        return _Off()

    def state(self, order_id: str, sku: str) -> dict[str, Any]:
        stack = self.stack
        order = stack.order(order_id)
        shipments = stack.api("GET", f"/orders/{order_id}/shipments")[1]["shipments"]
        events = {}
        for e in stack.events.all():
            if e["detail"].get("order_id") == order_id:
                events[e["detail"].get("event_id") or e["id"]] = e["detail-type"]
        stock = stack.stock(sku)
        return {
            "path": [(t.get("from_status"), t["to_status"]) for t in order["timeline"]],
            "reserved": {k.replace(sku, "SKU"): v for k, v in order["reservation"]["reserved"].items()},
            "stock": (
                stock["on_hand"],
                stock["reserved"],
                [(x["location"], x["on_hand"], x["reserved"]) for x in stock["locations"]],
            ),
            "shipments": [
                (
                    s["location"],
                    s["status"],
                    [(line["quantity"]) for line in s["lines"]],
                    [(t["status"], t["description"]) for t in s["tracking"]["events"]],
                    [p["kind"] for p in s["tracking"]["problems"]],
                    [(t.get("from_status"), t["to_status"]) for t in s["timeline"]],
                )
                for s in shipments
            ],
            "events": sorted(Counter(events.values()).items()),
            # the search index found it by number and SKU (the indexer's writes converged)
            "found": [
                [o["order_id"] for o in stack.api.request("GET", "/orders", query=f"q={q}")[2]["orders"]]
                == [order_id]
                for q in (order["number"].lstrip("#"), f"sku:{sku}")
            ],
            "emails": sorted(
                {
                    m["subject"].split(": ", 1)[1].replace(order["number"], "#N")
                    for m in self.emails(order["number"])
                }
            ),
        }

    def emails(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.stack.cloud.sent_emails() if number in m["subject"]]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    motofix.install()
    with mock_aws():
        recorder = Recorder().install()  # before any client exists: clients copy the hooks
        try:
            cloud = LocalCloud(fast_retry=True, parameters=LOCAL_PARAMETERS)
            invoker = cloud.invoker
            assert isinstance(invoker, InProcessInvoker)
            # In AWS a failed message comes back after its visibility timeout (6x the function's
            # timeout), by when the dead invocation's in-progress idempotency record has expired
            # (it lasts as long as the invocation could have). Here retries are immediate, so the
            # functions that keep such records get a context with no time left: their in-progress
            # records expire at once, as they would have by the time AWS redelivers. Staff's client
            # likewise sends a request again once the dead one's time is up (Idempotency-Key).
            for name in ("NotifierFunction", "ChannelSyncFunction", "OrdersApiFunction", "JobsApiFunction"):
                invoker.specs[name] = replace(invoker.specs[name], timeout=0)
            recorder.caller = lambda: invoker.current
            stack = Stack(cloud)
            seed(stack.api)
            status, body = stack.api(
                "POST",
                "/stores",
                {
                    "store_id": STORE,
                    "channel": "shopify",
                    "name": "Crash shop",
                    "webhook_secret": SECRET,
                    "shop_domain": f"{STORE}.myshopify.com",
                    "settings": {
                        "auto_fulfil": True,
                        "return_window_days": 0,
                        "location_priority": ["wh-east"],
                    },
                },
            )
            assert status == 201, body
            status, body = stack.api(
                "POST",
                "/stores",
                {
                    "store_id": BIG_STORE,
                    "channel": "shopify",
                    "name": "Crash wholesale",
                    "webhook_secret": SECRET,
                    "shop_domain": f"{BIG_STORE}.myshopify.com",
                    "settings": {"location_priority": ["wh-east"]},
                },
            )
            assert status == 201, body
            yield World(stack, recorder)
        finally:
            recorder.uninstall()


def crash(function: str, k: int) -> Any:
    """A fault for the k-th call ``function`` makes (counted from when it is armed), once."""
    seen = {"n": 0, "fired": False}

    def fault(call: Call, index: int) -> Exception | None:
        if call.caller != function or seen["fired"]:
            return None
        seen["n"] += 1
        if seen["n"] == k:
            seen["fired"] = True
            return ClientError(
                {"Error": {"Code": "InjectedCrash", "Message": f"{function} died at call {k}"}},
                call.operation,
            )
        return None

    fault.fired = lambda: seen["fired"]  # type: ignore[attr-defined]
    return fault


def test_a_crash_at_any_aws_call_of_any_function_ends_in_the_same_state(world: World) -> None:
    world.life()  # warm: caches (store settings, secrets) filled as in a running system
    baseline, calls = world.life()
    assert baseline["path"][-1] == ("delivered", "completed")
    per_function = Counter(c.caller for c in calls if c.caller)
    assert set(per_function) == set(FUNCTIONS), per_function

    cases = [(f, k) for f in FUNCTIONS for k in range(1, per_function[f] + 1)]
    differences = []
    skipped = 0
    for function, k in cases:
        fault = crash(function, k)
        world.recorder.fault_after = fault
        try:
            state, made = world.life()
        finally:
            world.recorder.fault_after = None
        if not fault.fired():
            # Only when this run's path was shorter: a cache (store settings, secrets; a minute)
            # answered a read the baseline made. Those reads change nothing.
            assert sum(1 for c in made if c.caller == function) < k, (function, k)
            skipped += 1
            continue
        if state != baseline:
            differences.append(
                (
                    (function, k),
                    {key: (state[key], baseline[key]) for key in state if state[key] != baseline[key]},
                )
            )
    assert not differences, json.dumps(differences, indent=1, default=str)[:4000]
    print(
        f"{len(cases) - skipped} crash points converged ({skipped} not on a cached run's path); "
        f"{sum(per_function.values())} AWS calls per order life: {dict(per_function)}"
    )
