"""Concurrent buyers against moto in server mode (in-process moto is not thread-safe, and moto's
own threaded server is not atomic per request: see oms_local.motoserver)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from oms.channels.incoming import normalise
from oms.order_changes import Actor
from oms.order_lifecycle import OrderStatus
from oms_local.cloud import LocalApi, LocalCloud
from oms_local.motoserver import MotoServer
from oms_local.samples import shopify_order
from oms_local.seed import seed


@pytest.fixture(scope="module")
def server_cloud() -> Iterator[LocalCloud]:
    server = MotoServer().start()
    endpoint = server.endpoint
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    try:
        cloud = LocalCloud(endpoint_url=endpoint, fast_retry=True, name="oms-race")
        seed(LocalApi(cloud))
        mp.setenv("TABLE_NAME", cloud.ref("OmsTable"))
        yield cloud
    finally:
        mp.undo()
        server.stop()


def _fresh_clients() -> None:
    from oms.data.aws_clients import client
    from oms.settings import get_settings

    client.cache_clear()
    get_settings.cache_clear()


def test_fifty_buyers_for_ten_units_confirm_exactly_ten(server_cloud: LocalCloud) -> None:
    api = LocalApi(server_cloud)
    sku = "RACE-SKU"
    status, body = api("PUT", f"/stock/{sku}", {"locations": [{"location": "wh-east", "on_hand": 10}]})
    assert status == 200, body
    _fresh_clients()
    from oms.wiring import intake_service

    service = intake_service()  # one thread-safe boto3 client, against the server
    orders = service.shipments.orders  # type: ignore[attr-defined]
    ddb = server_cloud.clients["dynamodb"]
    table = server_cloud.ref("OmsTable")
    lowest = {"available": 10}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            item = ddb.get_item(
                TableName=table, Key={"PK": {"S": f"SKU#{sku}"}, "SK": {"S": "TOTAL"}}, ConsistentRead=True
            )["Item"]
            lowest["available"] = min(lowest["available"], int(item["available"]["N"]))
            stop.wait(0.005)

    def buy(n: int) -> OrderStatus | None:
        snapshot = normalise(
            "shopify",
            "orders/create",
            shopify_order(90_000 + n, skus={sku: 1}),
            store_id="demo-shopify",
            received_at=datetime.now(UTC),
        )
        assert not isinstance(snapshot, tuple)
        return service.record(snapshot, Actor("race", f"race-{n}", datetime.now(UTC)), attempts=20).status

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=25) as pool:
            outcomes = list(pool.map(buy, range(50)))
    finally:
        stop.set()
        watcher.join()
        _fresh_clients()

    assert outcomes.count(OrderStatus.CONFIRMED) == 10
    assert outcomes.count(OrderStatus.ON_HOLD) == 40
    level = api("GET", f"/stock/{sku}")[1]
    assert (level["on_hand"], level["reserved"], level["available"]) == (10, 10, 0)
    assert lowest["available"] >= 0
    held = [orders.get(f"demo-shopify.{90_000 + n}") for n in range(50)]
    assert sum(1 for o in held if o and o.reservation.reserved.get(sku) == 1) == 10
    assert all(
        o and o.hold and o.hold.short_lines[0].available == 0 for o in held if o and o.status == "on_hold"
    )
