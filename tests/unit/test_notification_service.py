"""Each notification an event calls for goes out once (oms.services.notification_service), through
in-memory ports: the sender records, the idempotency store remembers completed keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oms.models import Order
from oms.notifications import Email, Notification
from oms.services.notification_service import NotificationService
from tests.unit.builders import STORE, store
from tests.unit.memory import MemoryStores
from tests.unit.test_notification_plan import order


class RecordingSender:
    def __init__(self, fail_on: int | None = None) -> None:
        self.sent: list[Notification] = []
        self.fail_on = fail_on

    @property
    def email_enabled(self) -> bool:
        return True

    def send(self, notification: Notification) -> None:
        if self.fail_on is not None and len(self.sent) == self.fail_on:
            self.fail_on = None
            raise ConnectionError("SES is unreachable")
        self.sent.append(notification)


class MemoryOnce:
    """Powertools idempotency as the port sees it: a completed key returns its stored result."""

    def __init__(self) -> None:
        self.done: dict[str, dict[str, Any]] = {}

    def __call__(self, key: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if key not in self.done:
            self.done[key] = work()
        return self.done[key]


class Orders:
    def __init__(self, *orders: Order) -> None:
        self.orders = {o.order_id: o for o in orders}
        self.reads = 0

    def get(self, order_id: str) -> Order | None:
        self.reads += 1
        return self.orders.get(order_id)


def shipped(the_order: Order) -> dict[str, Any]:
    return {
        "id": "eventbridge-1",
        "detail-type": "OrderShipped",
        "detail": {
            "event_id": f"{the_order.order_id}:4:0",
            "order_id": the_order.order_id,
            "store_id": STORE,
            "number": the_order.number,
        },
    }


@pytest.fixture
def parts() -> tuple[NotificationService, RecordingSender, Orders]:
    the_order = order().model_copy(
        update={"customer": order().customer.model_copy(update={"phone": "+15550100"})}
    )
    sender, orders = RecordingSender(), Orders(the_order)
    stores = MemoryStores({STORE: store(notify_customer_sms=True)})
    return NotificationService(orders, stores, sender, MemoryOnce()), sender, orders


def test_a_redelivered_event_sends_nothing_again_and_reports_nothing_sent(
    parts: tuple[NotificationService, RecordingSender, Orders],
) -> None:
    service, sender, orders = parts
    event = shipped(next(iter(orders.orders.values())))

    first = service.notify(event)
    assert (first.planned, first.sent) == (["Email", "Sms"], ["Email", "Sms"])
    again = service.notify(event | {"id": "eventbridge-2"})  # re-put: a new EventBridge id
    assert (again.planned, again.sent) == (["Email", "Sms"], [])
    assert [type(n).__name__ for n in sender.sent] == ["Email", "Sms"]


def test_a_failure_after_a_partial_send_resends_only_what_is_missing(
    parts: tuple[NotificationService, RecordingSender, Orders],
) -> None:
    service, sender, orders = parts
    sender.fail_on = 1  # the email goes out, the text fails
    event = shipped(next(iter(orders.orders.values())))
    with pytest.raises(ConnectionError):
        service.notify(event)
    retried = service.notify(event)
    assert retried.sent == ["Sms"]
    assert [type(n).__name__ for n in sender.sent] == ["Email", "Sms"]
    assert isinstance(sender.sent[0], Email)


def test_only_events_that_tell_about_the_order_read_it(
    parts: tuple[NotificationService, RecordingSender, Orders],
) -> None:
    service, _, orders = parts
    the_order = next(iter(orders.orders.values()))
    low = {"detail-type": "LowStock", "detail": {"event_id": "sku:1:0", "sku": "A", "available": 1}}
    assert service.notify(low).sent == ["Alert"]
    packed = {
        "detail-type": "ShipmentPacked",
        "detail": {"event_id": "s:2:0", "order_id": the_order.order_id, "store_id": STORE},
    }
    assert service.notify(packed).planned == []
    assert orders.reads == 0
    service.notify(shipped(the_order))
    assert orders.reads == 1
