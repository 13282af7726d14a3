"""Customers and staff hear of each event once, however often the bus delivers it (moto: SES, SNS)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from oms_local.cloud import LocalCloud
from oms_local.runner import LOCAL_PARAMETERS
from oms_local.samples import shopify_delivery, shopify_order
from oms_local.seed import SHOPIFY_STORE, seed
from tests.stack import FULFILMENT, Stack, redelivered

SECRET = str(SHOPIFY_STORE["webhook_secret"])


@pytest.fixture(scope="module")
def mailing_shop() -> Iterator[Stack]:
    """The seeded stack with a sender address (customer emails on), fulfilment paused."""
    with mock_aws():
        stack = Stack(LocalCloud(fast_retry=True, parameters=LOCAL_PARAMETERS))
        seed(stack.api)
        stack.cloud.pause(FULFILMENT)
        yield stack


def emails_about(stack: Stack, number: str) -> list[str]:
    return [m["subject"] for m in stack.cloud.sent_emails() if number in m["subject"]]


def alerts_about(stack: Stack, number: str) -> list[str]:
    return [
        n[2] or ""
        for topic in stack.cloud.sns_messages()
        for n in topic["sent_notifications"]
        if number in (n[2] or "")
    ]


def place(stack: Stack, n: int, skus: dict[str, int]) -> str:
    delivery = shopify_delivery(
        shopify_order(n, skus=skus), store_id="demo-shopify", secret=SECRET, event_id=f"notify-{n}"
    )
    status, body = stack.deliver(delivery)
    assert status == 202, body
    return f"demo-shopify.{n}"


def redeliver(stack: Stack, event: dict[str, Any]) -> None:
    result = stack.cloud.invoker.invoke("NotifierFunction", redelivered(event))
    assert result.ok, result.error
    assert result.value == {"batchItemFailures": []}


def test_a_redelivered_confirmation_emails_the_customer_once(mailing_shop: Stack) -> None:
    stack = mailing_shop
    order_id = place(stack, 61_001, {"IPOD2009BLACK": 1})
    (confirmed,) = stack.events.of_type("OrderConfirmed", order_id)
    assert len(emails_about(stack, "#61001")) == 1

    redeliver(stack, confirmed)
    # The publisher re-put the event: EventBridge gave it a new id, our event id is the same.
    reput = copy.deepcopy(confirmed) | {"id": "another-eventbridge-id"}
    redeliver(stack, reput)

    assert len(emails_about(stack, "#61001")) == 1


def test_a_redelivered_hold_alerts_staff_once(mailing_shop: Stack) -> None:
    stack = mailing_shop
    order_id = place(stack, 61_002, {"NO-SUCH-SKU-61002": 1})
    (held,) = stack.events.of_type("OrderOnHold", order_id)
    assert len(alerts_about(stack, "61002")) == 1

    redeliver(stack, held)
    redeliver(stack, held)

    assert len(alerts_about(stack, "61002")) == 1
