"""Warm own-code time per event: the time a function spends in our code (and the libraries it
calls) per event, with the time inside AWS calls (botocore's provide-client-params to after-call,
moto included) taken out. In process, on moto, after a warm-up invocation."""

from __future__ import annotations

import json
import logging
import statistics
from typing import Any

from benchmarks.harness import Bench
from oms_local.lambda_events import http_event, sqs_record, stream_record
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE


def _stats(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "events": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
        "max_ms": round(ms[-1], 3),
    }


def measure(bench: Bench, events: int) -> dict[str, Any]:
    logging.getLogger().setLevel(logging.WARNING)
    cloud = bench.cloud
    skus = {"BENCH-WARM-A": 1, "BENCH-WARM-B": 2, "BENCH-WARM-C": 1}  # three lines, all in stock
    for sku in skus:
        body = {"locations": [{"location": "wh-east", "on_hand": 10 * events}]}
        assert bench.api("PUT", f"/stock/{sku}", body)[0] == 200
    secret = str(SHOPIFY_STORE["webhook_secret"])
    out: dict[str, Any] = {}

    # Webhook: signed deliveries, as API Gateway delivers them. Queued messages are moved aside
    # every 50 deliveries: moto's in-process SendMessage slows with the queue's length, and its
    # garbage would land on our clock.
    sqs, url = cloud.clients["sqs"], cloud.ref("IntakeQueue")
    queued: list[dict[str, Any]] = []

    def move_aside() -> None:
        while messages := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", []):
            queued.extend(messages)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )

    own = []
    for n in range(events + 1):
        if n % 50 == 0:
            move_aside()
        delivery = shopify_delivery(
            shopify_order(10_000_000 + n, skus=skus), store_id="demo-shopify", secret=secret
        )
        event = http_event(
            "POST",
            delivery.path,
            route_key="POST /webhooks/{channel}/{store_id}",
            headers=delivery.headers,
            body=delivery.body,
            path_parameters={"channel": "shopify", "store_id": "demo-shopify"},
        )
        result, seconds, _ = bench.timed("WebhookFunction", event)
        assert result.ok, result
        assert result.value["statusCode"] == 202, result
        if n:
            own.append(seconds)
    out["webhook"] = _stats(own)
    move_aside()

    # Intake: each queued message on its own (a batch of one: the per-message worst case).
    arn = cloud.att("IntakeQueue", "Arn")
    own = []
    for handled, message in enumerate(queued):
        result, seconds, _ = bench.timed("IntakeFunction", {"Records": [sqs_record(message, arn)]})
        assert result.ok, result
        assert result.value == {"batchItemFailures": []}, result
        if handled:
            own.append(seconds)
    out["intake_message"] = _stats(own)

    # Publisher: each stream record on its own.
    streams = cloud.clients["dynamodbstreams"]
    stream_arn = cloud.att("OmsTable", "StreamArn")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    own = []
    while iterator and len(own) < events:
        response = streams.get_records(ShardIterator=iterator, Limit=100)
        records = response.get("Records", [])
        if not records:
            break
        iterator = response.get("NextShardIterator")
        for record in records:
            if record["eventName"] not in ("INSERT", "MODIFY"):
                continue
            result, seconds, _ = bench.timed(
                "PublisherFunction", {"Records": [stream_record(record, stream_arn)]}
            )
            assert result.ok, result
            own.append(seconds)
    out["publisher_record"] = _stats(own[1:])

    # Notifier: each event the bus delivered to its queue.
    nurl, narn = cloud.ref("NotificationsQueue"), cloud.att("NotificationsQueue", "Arn")
    own = []
    while len(own) < events:
        messages = sqs.receive_message(QueueUrl=nurl, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            break
        for message in messages:
            result, seconds, _ = bench.timed("NotifierFunction", {"Records": [sqs_record(message, narn)]})
            assert result.ok, result
            sqs.delete_message(QueueUrl=nurl, ReceiptHandle=message["ReceiptHandle"])
            own.append(seconds)
    out["notifier_event"] = _stats(own[1:])

    # Fulfilment: each OrderConfirmed the bus delivered to its queue. demo-shopify auto-fulfils, so
    # one event is allocation, label and hand-over (three transactions). At most 300: moto's time
    # per transaction grows with the table, and that time is AWS time, not ours, but it is slow.
    furl, farn = cloud.ref("FulfilmentQueue"), cloud.att("FulfilmentQueue", "Arn")
    own = []
    while len(own) < min(events, 300):
        messages = sqs.receive_message(QueueUrl=furl, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            break
        for message in messages:
            result, seconds, _ = bench.timed("FulfilmentFunction", {"Records": [sqs_record(message, farn)]})
            assert result.ok, result
            assert result.value == {"batchItemFailures": []}, result
            sqs.delete_message(QueueUrl=furl, ReceiptHandle=message["ReceiptHandle"])
            own.append(seconds)
    out["fulfilment_event"] = _stats(own[1:])

    # Admin API: read one order.
    own = []
    for n in range(min(events, 1000) + 1):
        order_id = f"demo-shopify.{10_000_000 + n}"
        event = http_event(
            "GET",
            f"/orders/{order_id}",
            route_key="GET /orders/{order_id}",
            path_parameters={"order_id": order_id},
            jwt_claims={"sub": "bench"},
        )
        result, seconds, _ = bench.timed("OrdersApiFunction", event)
        assert result.ok, result
        assert result.value["statusCode"] == 200, json.dumps(result.value)[:300]
        if n:
            own.append(seconds)
    out["admin_get_order"] = _stats(own)
    return out
