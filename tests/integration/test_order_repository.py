"""The order repository's write conditions on DynamoDB (moto): a write made from a stale read never
lands, and an order is created once."""

from __future__ import annotations

import pytest

from oms.data import aws_clients
from oms.data.dynamo_table import Table
from oms.data.order_repository import OrderRepository
from oms.domain_events import OutboxEvent
from oms.errors import ConcurrentModification
from oms.fulfilment import FulfilmentChange, finish
from oms.models import Hold, Order
from oms.order_changes import OrderChange, new_order, transition
from oms.order_lifecycle import HoldReason, OrderStatus
from tests.stack import Stack
from tests.unit.builders import actor, shopify_payload, snapshot


def change(order: Order, expected_version: int | None, events: list[OutboxEvent]) -> OrderChange:
    """The change as the domain hands it to the repository: versioned, its events numbered."""
    done = finish(FulfilmentChange(order=OrderChange(order, expected_version, events=events))).order
    assert done is not None
    return done


@pytest.fixture
def repository(stack: Stack) -> OrderRepository:
    aws_clients.client.cache_clear()  # clients of this mock
    return OrderRepository(Table(stack.cloud.ref("OmsTable")))


def test_a_change_made_from_a_stale_version_is_refused_and_the_stored_order_is_unchanged(
    repository: OrderRepository,
) -> None:
    order, events = new_order(snapshot(shopify_payload(7001)), actor())
    repository.save(change(order, None, events))
    stored = repository.get(order.order_id)
    assert stored is not None

    first, event = transition(
        stored, OrderStatus.ON_HOLD, actor(minutes=1), reason="manual", hold=Hold(reason=HoldReason.MANUAL)
    )
    repository.save(change(first, stored.version, [event]))
    # A second writer read the same version and decides otherwise: it lost the race.
    second, event = transition(stored, OrderStatus.CANCELLED, actor(minutes=2), reason="cancelled")
    with pytest.raises(ConcurrentModification):
        repository.save(change(second, stored.version, [event]))

    now = repository.get(order.order_id)
    assert now is not None
    assert (now.status, now.version) == (OrderStatus.ON_HOLD, stored.version + 1)


def test_an_order_is_created_once_a_second_create_is_a_concurrent_modification(
    repository: OrderRepository,
) -> None:
    order, events = new_order(snapshot(shopify_payload(7002)), actor())
    repository.save(change(order, None, events))
    again, events = new_order(snapshot(shopify_payload(7002, financial_status="pending")), actor(minutes=1))
    with pytest.raises(ConcurrentModification):
        repository.save(change(again, None, events))
    stored = repository.get(order.order_id)
    assert stored is not None
    assert (stored.version, stored.payment_status.value) == (1, "paid")
