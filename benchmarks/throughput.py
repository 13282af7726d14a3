"""Local throughput: N signed webhooks from concurrent senders into the local stack (`make run`'s
stack, on moto). This measures moto as much as our code: every AWS call is a request to one
in-process moto server that runs one request at a time on this machine's CPUs."""

from __future__ import annotations

import io
import json
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from oms_local.logs import LogPrinter
from oms_local.runner import start, wait_for
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE


def measure(orders: int, senders: int = 8) -> dict[str, Any]:
    # Webhook to confirmed: fulfilment is paused so that it does not compete for this machine's
    # cores (in AWS it runs on Lambdas of its own).
    running = start(
        port=0, time_scale=6, printer=LogPrinter(stream=io.StringIO()), paused=("FulfilmentFunction",)
    )
    try:
        sqs, events = running.client("sqs"), running.client("events")
        capture = sqs.create_queue(QueueName="bench-capture")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=capture, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus = running.cloud.ref("OmsBus")
        events.put_rule(
            Name="bench-capture",
            EventBusName=bus,
            EventPattern=json.dumps({"detail-type": ["OrderConfirmed"]}),
        )
        events.put_targets(Rule="bench-capture", EventBusName=bus, Targets=[{"Id": "c", "Arn": arn}])
        sku = "BENCH-THROUGHPUT"
        assert (
            running.request(
                "PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": orders * 2}]}
            )[0]
            == 200
        )
        secret = str(SHOPIFY_STORE["webhook_secret"])
        deliveries = [
            shopify_delivery(
                shopify_order(30_000_000 + n, skus={sku: 1}), store_id="demo-shopify", secret=secret
            )
            for n in range(orders)
        ]

        def send(index: int) -> float:
            delivery = deliveries[index]
            started = time.perf_counter()
            status, _ = running.request(
                "POST", delivery.path, raw=delivery.body, headers=delivery.headers, token=""
            )
            elapsed = time.perf_counter() - started
            if status != 202:
                raise RuntimeError(f"webhook answered {status}")
            return elapsed

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=senders) as pool:
            acks = list(pool.map(send, range(orders)))
        sent = time.perf_counter() - began

        def reserved() -> int:
            return int(running.request("GET", f"/stock/{sku}")[1]["reserved"])

        finished = wait_for(lambda: reserved() >= orders, timeout=max(300, orders * 1.5), interval=2)
        confirmed_after = time.perf_counter() - began
        got = reserved()
        confirmations: Counter[str] = Counter()

        def drained() -> bool:
            messages = sqs.receive_message(QueueUrl=capture, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                confirmations[json.loads(message["Body"])["detail"]["order_id"]] += 1
                sqs.delete_message(QueueUrl=capture, ReceiptHandle=message["ReceiptHandle"])
            return not messages and sum(confirmations.values()) >= got

        wait_for(drained, 300, interval=0.5)

        def confirmed_orders() -> set[str]:
            found: set[str] = set()
            cursor = ""
            while True:
                status, page = running.request(
                    "GET", f"/orders?store=demo-shopify&status=confirmed&limit=100{cursor}"
                )
                assert status == 200, page
                found |= {
                    o["order_id"] for o in page["orders"] if o["order_id"].startswith("demo-shopify.300")
                }
                if not page["cursor"]:
                    return found
                cursor = f"&cursor={page['cursor']}"

        recorded = confirmed_orders()
        ms = sorted(a * 1000 for a in acks)
        return {
            "orders": orders,
            "senders": senders,
            "ack_p50_ms": round(statistics.median(ms), 1),
            "ack_p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "webhooks_sent_s": round(sent, 1),
            "all_confirmed": finished,
            "seconds_until_all_confirmed": round(confirmed_after, 1),
            "orders_per_second": round(got / confirmed_after, 2),
            # Lost: a webhook answered 202 whose order is not confirmed. Duplicated: an order confirmed
            # twice (two OrderConfirmed events) or more stock reserved than orders placed.
            "lost": orders - len(recorded),
            "confirmed_events": sum(confirmations.values()),
            "duplicated": sum(1 for c in confirmations.values() if c > 1) + max(0, got - orders),
            "note": "measures moto as much as our code: one in-process moto server, one request at a time",
        }
    finally:
        running.close()
