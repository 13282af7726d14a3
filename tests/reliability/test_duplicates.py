"""200 orders, each webhook delivered 1 to 3 times, shuffled, some copies concurrent, on the local
stack: exactly 200 orders, one reservation each, exactly one OrderConfirmed (or OrderOnHold)
event each, and customers emailed once per confirmed order."""

from __future__ import annotations

import http.client
import io
import json
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from oms_local.logs import LogPrinter
from oms_local.runner import Running, start, wait_for
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE

pytestmark = pytest.mark.reliability
ORDERS = int(__import__("os").environ.get("DUP_ORDERS", "200"))
RETRIES = 5
PLENTY, SCARCE = "DUP-PLENTY", "DUP-SCARCE"  # every order wants 1 of PLENTY; some also 1 of SCARCE


@pytest.fixture(scope="module")
def local() -> Iterator[Running]:
    # Time scale 6: queue visibility timeouts stay above a busy batch's processing time.
    # Fulfilment is paused: this is intake's promise, checked on the statuses intake leaves.
    running = start(
        port=0, time_scale=6, printer=LogPrinter(stream=io.StringIO()), paused=("FulfilmentFunction",)
    )
    try:
        yield running
    finally:
        running.close()


def test_redelivered_webhooks_make_each_order_exactly_once(local: Running) -> None:
    sqs, events = local.client("sqs"), local.client("events")
    capture = sqs.create_queue(QueueName="dup-capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=capture, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = local.cloud.ref("OmsBus")
    events.put_rule(Name="dup-capture", EventBusName=bus, EventPattern=json.dumps({"source": ["oms.orders"]}))
    events.put_targets(Rule="dup-capture", EventBusName=bus, Targets=[{"Id": "c", "Arn": arn}])
    assert (
        local.request("PUT", f"/stock/{PLENTY}", {"locations": [{"location": "wh-east", "on_hand": 1000}]})[0]
        == 200
    )
    assert (
        local.request("PUT", f"/stock/{SCARCE}", {"locations": [{"location": "wh-east", "on_hand": 20}]})[0]
        == 200
    )

    rng = random.Random(20261122)
    secret = str(SHOPIFY_STORE["webhook_secret"])
    deliveries = []
    wants_scarce = set(rng.sample(range(ORDERS), ORDERS // 5))
    for n in range(ORDERS):
        skus = {PLENTY: 1, SCARCE: 1} if n in wants_scarce else {PLENTY: 1}
        delivery = shopify_delivery(
            shopify_order(600_000 + n, skus=skus), store_id="demo-shopify", secret=secret, event_id=f"dup-{n}"
        )
        deliveries += [delivery] * rng.randint(1, 3)
    rng.shuffle(deliveries)

    def send(i: int) -> int:
        """One delivery, sent again while it gets no 2xx, as Shopify retries it: on two cores shared
        with the rest of the suite the webhook can miss its 5 s, and a retry is one more duplicate
        for the promise under test."""
        delivery = deliveries[i]
        status = 0
        for _ in range(RETRIES):
            try:
                status = local.request(
                    "POST", delivery.path, raw=delivery.body, headers=delivery.headers, token=""
                )[0]
            except (OSError, http.client.HTTPException):  # the connection dropped: no answer
                status = 0
            if status == 202:
                return status
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:  # neighbouring copies of one order race each other
        statuses = list(pool.map(send, range(len(deliveries))))
    assert set(statuses) == {202}

    intake = local.cloud.ref("IntakeQueue")

    def settled() -> bool:
        attrs = sqs.get_queue_attributes(QueueUrl=intake, AttributeNames=["All"])["Attributes"]
        queued = int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )
        _, scarce = local.request("GET", f"/stock/{SCARCE}")
        return queued == 0 and scarce["available"] == 0

    assert wait_for(settled, 240, interval=2)

    seen: list[dict[str, object]] = []

    def drained() -> bool:
        got = sqs.receive_message(QueueUrl=capture, MaxNumberOfMessages=10).get("Messages", [])
        for message in got:
            seen.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=capture, ReceiptHandle=message["ReceiptHandle"])
        placed = sum(1 for e in seen if e["detail-type"] == "OrderPlaced")
        return not got and placed >= ORDERS

    assert wait_for(drained, 120, interval=0.5)
    by_order: dict[str, Counter[str]] = {}
    for event in seen:
        detail = event["detail"]
        assert isinstance(detail, dict)
        by_order.setdefault(str(detail["order_id"]), Counter())[str(event["detail-type"])] += 1
    assert len(by_order) == ORDERS
    statuses_now: dict[str, str] = {}
    cursor = ""
    while True:
        code, page = local.request("GET", f"/orders?store=demo-shopify&limit=100{cursor}")
        assert code == 200
        statuses_now.update({o["order_id"]: o["status"] for o in page["orders"]})
        if not page["cursor"]:
            break
        cursor = f"&cursor={page['cursor']}"
    ours = {k: v for k, v in statuses_now.items() if k.startswith("demo-shopify.6")}
    assert len(ours) == ORDERS, sorted(ours)[:5]
    confirmed = [k for k, v in ours.items() if v == "confirmed"]
    held = [k for k, v in ours.items() if v == "on_hold"]
    assert len(confirmed) + len(held) == ORDERS
    assert len(held) == len(wants_scarce) - 20  # 20 scarce units: the rest of those orders went on hold
    for order_id, kinds in by_order.items():
        final = "OrderConfirmed" if ours[order_id] == "confirmed" else "OrderOnHold"
        assert kinds == Counter({"OrderPlaced": 1, final: 1}), (order_id, kinds)
    _, scarce = local.request("GET", f"/stock/{SCARCE}")
    _, plenty = local.request("GET", f"/stock/{PLENTY}")
    assert (scarce["reserved"], scarce["available"]) == (20, 0)
    assert (plenty["reserved"], plenty["available"]) == (len(confirmed), 1000 - len(confirmed))
