from datetime import UTC, datetime

import pytest

from oms.errors import IllegalTransition
from oms.models import Hold
from oms.order_changes import Actor, new_order, transition
from oms.order_lifecycle import (
    TERMINAL,
    TRANSITIONS,
    HoldReason,
    OrderStatus,
    can_transition,
    check_transition,
)
from oms_local.samples import fixture

S = OrderStatus
ACTOR = Actor("test", "evt-1", datetime(2026, 1, 1, tzinfo=UTC))


def _order():
    from oms.channels.incoming import normalise

    snapshot = normalise(
        "shopify",
        "orders/create",
        fixture("shopify/orders-create.json"),
        store_id="acme-shop",
        received_at=ACTOR.at,
    )
    order, _ = new_order(snapshot, ACTOR)
    return order


def test_every_status_has_an_entry_and_refunded_is_the_only_end() -> None:
    assert set(TRANSITIONS) == {None, *OrderStatus}
    assert {S.REFUNDED} == TERMINAL
    assert TRANSITIONS[None] == {S.PLACED}


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PLACED, S.SHIPPED),
        (S.SHIPPED, S.CANCELLED),
        (S.DELIVERED, S.CONFIRMED),
        (S.CANCELLED, S.CONFIRMED),
        (S.REFUNDED, S.PLACED),
        (S.COMPLETED, S.FULFILLING),
        (None, S.CONFIRMED),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_error(
    current: OrderStatus | None, target: OrderStatus
) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, target)
    assert caught.value.code == "illegal_transition"
    assert caught.value.status == 409
    assert target.value in caught.value.message


def test_a_refused_transition_changes_nothing() -> None:
    order = _order()
    before = order.model_dump()
    with pytest.raises(IllegalTransition):
        transition(order, S.SHIPPED, ACTOR, reason="skip ahead")
    assert order.model_dump() == before


def test_a_transition_appends_to_the_timeline_and_emits_its_event() -> None:
    order = _order()
    moved, event = transition(order, S.CONFIRMED, ACTOR, reason="payment paid")
    assert moved.status == S.CONFIRMED
    assert [(e.from_status, e.to_status) for e in moved.timeline] == [
        (None, S.PLACED),
        (S.PLACED, S.CONFIRMED),
    ]
    last = moved.timeline[-1]
    assert (last.reason, last.actor, last.source_event, last.at) == (
        "payment paid",
        "test",
        "evt-1",
        ACTOR.at,
    )
    assert event.type == "OrderConfirmed"
    assert event.detail["previous_status"] == "placed"
    assert order.status == S.PLACED  # the original is untouched


def test_a_hold_is_carried_only_while_on_hold() -> None:
    order = _order()
    held, event = transition(
        order, S.ON_HOLD, ACTOR, hold=Hold(reason=HoldReason.MANUAL, note="check address")
    )
    assert held.hold is not None
    assert held.hold.reason == HoldReason.MANUAL
    assert event.detail["hold"]["reason"] == "manual"
    released, _ = transition(held, S.CONFIRMED, ACTOR)
    assert released.hold is None
