"""BigCommerce end to end on the template's functions: a store registered with its hash and API
token; a callback from the documented samples (ids only) authenticated by its secret header, the
order read from BigCommerce's API (replayed documented exchanges), recorded and confirmed once;
its shipment pushed back; a forged secret refused before anything is queued."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oms_local.samples import bigcommerce_delivery, fixture
from tests.replay import Replay, recorded
from tests.stack import Stack, redelivered

STORE = "bc-shop"
HASH = "abc123def"
TOKEN = "bc_test_api_token_0123456789"
ORDER_ID = f"{STORE}.250"


def register(stack: Stack, **settings: Any) -> str:
    status, body = stack.api(
        "POST",
        "/stores",
        {
            "store_id": STORE,
            "channel": "bigcommerce",
            "name": "BigCommerce shop",
            "store_hash": HASH,
            "api_credentials": {"access_token": TOKEN},
            "settings": {"location_priority": ["wh-east"], **settings},
        },
    )
    assert status == 201, body
    assert body["webhook_url"].endswith(f"/webhooks/bigcommerce/{STORE}")
    secret = body["webhook_secret"]  # generated, shown once: registered as the hook's header
    assert len(secret) >= 32
    status, again = stack.api("GET", f"/stores/{STORE}")
    assert status == 200
    assert "webhook_secret" not in again
    return str(secret)


def intake_reads(stack: Stack, replay: Replay) -> None:
    stack.cloud.invoker.load("IntakeFunction").transport = replay  # type: ignore[attr-defined]


def order_exchanges() -> list[dict[str, Any]]:
    return copy.deepcopy(recorded("bigcommerce-order")["exchanges"])


def stock(stack: Stack) -> None:
    for sku in ("S-ORAN", "ABS"):
        stack.set_stock(sku, wh_east=10)


def test_a_bigcommerce_order_from_its_callback_is_read_from_the_api_and_confirmed_once(shop: Stack) -> None:
    secret = register(shop)
    stock(shop)
    replay = Replay(order_exchanges())
    intake_reads(shop, replay)

    created = fixture("bigcommerce/store-order-created.json")
    status, body = shop.deliver(bigcommerce_delivery(created, store_id=STORE, secret=secret, store_hash=HASH))
    assert status == 202, body
    assert replay.done()
    order = shop.order(ORDER_ID)
    assert order["status"] == "confirmed"
    assert order["channel"] == "bigcommerce"
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("S-ORAN", 1), ("ABS", 1)]
    assert order["totals"]["total"] == {"amount": "1008.74", "currency": "USD"}
    assert shop.stock("S-ORAN")["reserved"] == 1
    assert len(shop.events.of_type("OrderConfirmed", ORDER_ID)) == 1

    # The same callback again (BigCommerce retries), then a status update: each is applied as the
    # order stands on BigCommerce when it is handled (read again; in AWS the FIFO queue drops the
    # retry within five minutes, moto forgets deleted messages), and neither changes anything.
    replay.exchanges += order_exchanges() + order_exchanges()
    status, _ = shop.deliver(bigcommerce_delivery(created, store_id=STORE, secret=secret, store_hash=HASH))
    assert status == 202
    updated = fixture("bigcommerce/store-order-statusUpdated.json")
    status, _ = shop.deliver(bigcommerce_delivery(updated, store_id=STORE, secret=secret, store_hash=HASH))
    assert status == 202
    assert replay.done()
    assert len(replay.sent) == 9
    assert len(shop.events.of_type("OrderConfirmed", ORDER_ID)) == 1
    assert shop.stock("S-ORAN")["reserved"] == 1
    assert shop.queue_depth("IntakeDLQ") == 0


def test_a_bigcommerce_order_cancelled_on_bigcommerce_releases_its_stock(shop: Stack) -> None:
    secret = register(shop)
    stock(shop)
    exchanges = order_exchanges()
    cancelled = order_exchanges()
    cancelled[0]["response"]["json"].update(
        status_id=5, status="Cancelled", date_modified="Fri, 21 Jun 2019 09:00:00 +0000"
    )
    replay = Replay(exchanges + cancelled)
    intake_reads(shop, replay)
    created = fixture("bigcommerce/store-order-created.json")
    shop.deliver(bigcommerce_delivery(created, store_id=STORE, secret=secret, store_hash=HASH))
    assert shop.stock("S-ORAN")["reserved"] == 1

    updated = fixture("bigcommerce/store-order-statusUpdated.json")
    updated["data"]["status"] = {"previous_status_id": 11, "new_status_id": 5}
    shop.deliver(bigcommerce_delivery(updated, store_id=STORE, secret=secret, store_hash=HASH))
    assert replay.done()
    assert shop.order(ORDER_ID)["status"] == "cancelled"
    assert shop.stock("S-ORAN")["reserved"] == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("not-the-store-secret-0123456789", 401), (None, 401)],
)
def test_a_bigcommerce_callback_with_a_forged_or_no_secret_gets_401_and_changes_nothing(
    shop: Stack, header: str | None, expected: int
) -> None:
    secret = register(shop)
    replay = Replay([])
    intake_reads(shop, replay)
    delivery = bigcommerce_delivery(
        fixture("bigcommerce/store-order-created.json"), store_id=STORE, secret=secret, store_hash=HASH
    ).with_headers(x_oms_webhook_secret=header)
    status, body = shop.deliver(delivery)
    assert status == expected, body
    assert body["code"] in ("invalid_signature", "missing_signature")
    assert shop.queue_depth("IntakeQueue") == 0
    assert replay.sent == []
    status, _ = shop.api("GET", f"/orders/{ORDER_ID}")
    assert status == 404


def test_a_shipped_bigcommerce_order_becomes_one_shipment_on_bigcommerce(full_shop: Stack) -> None:
    shop = full_shop
    secret = register(shop, auto_fulfil=True)
    stock(shop)
    intake_reads(shop, Replay(order_exchanges()))
    pushes = Replay.of("bigcommerce-shipment")
    shop.cloud.invoker.load("ChannelSyncFunction").service.transport = pushes  # type: ignore[attr-defined]

    created = fixture("bigcommerce/store-order-created.json")
    shop.deliver(bigcommerce_delivery(created, store_id=STORE, secret=secret, store_hash=HASH))

    assert shop.order(ORDER_ID)["status"] == "shipped"
    assert pushes.done()
    _, body = shop.api("GET", f"/orders/{ORDER_ID}/shipments")
    (shipment,) = body["shipments"]
    made = pushes.sent[-1]["json"]
    assert made["tracking_number"] == shipment["label"]["tracking_number"]
    assert made["comments"] == f"OMS shipment {shipment['shipment_id']}"
    assert shop.queue_depth("ChannelSyncDLQ") == 0

    # ShipmentShipped again: the push happened, nothing more is sent.
    (shipped,) = shop.events.of_type("ShipmentShipped", ORDER_ID)
    result = shop.cloud.invoker.invoke("ChannelSyncFunction", redelivered(shipped))
    assert result.ok, result
    assert len(pushes.sent) == 3
