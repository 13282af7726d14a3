"""What a channel delivery means for the stored order (oms.intake_rules.decide), branch by branch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms.channels.incoming import OrderDeleted
from oms.fulfilment import FulfilmentChange
from oms.intake_rules import IntakeContext, decide
from oms.models import Channel, Order, ShortLine
from oms.order_changes import MoveKind, StockMove
from oms.order_lifecycle import HoldReason, OrderStatus
from tests.unit.builders import NOW, actor, shopify_payload, snapshot

S = OrderStatus


def committed(change: FulfilmentChange | None) -> Order:
    assert change is not None
    assert change.order is not None
    return change.order.order


def moves(change: FulfilmentChange | None) -> list[tuple[str, int, str]]:
    assert change is not None
    return sorted((m.sku, m.quantity, m.kind.value) for m in change.moves)


def kinds(change: FulfilmentChange | None) -> list[str]:
    assert change is not None
    assert change.order is not None
    return [e.type for e in change.order.events]


def new(payload: dict) -> Order:
    return committed(decide(None, snapshot(payload), actor()))


def test_a_new_paid_order_is_placed_confirmed_and_reserves_each_sku_once() -> None:
    change = decide(None, snapshot(shopify_payload(lines={"A": 2, "B": 1})), actor())
    order = committed(change)
    assert order.status == S.CONFIRMED
    assert order.version == 1
    assert moves(change) == [("A", 2, "reserve"), ("B", 1, "reserve")]
    assert order.reservation.reserved == {"A": 2, "B": 1}
    assert kinds(change) == ["OrderPlaced", "OrderConfirmed"]
    assert [e.id for e in change.order.events] == [f"{order.order_id}:1:0", f"{order.order_id}:1:1"]


def test_lines_of_the_same_sku_are_reserved_together() -> None:
    payload = shopify_payload(lines={"A": 2, "B": 1})
    payload["line_items"][1]["sku"] = "A"
    assert moves(decide(None, snapshot(payload), actor())) == [("A", 3, "reserve")]


def test_a_pending_payment_waits_without_stock_and_a_later_paid_update_confirms() -> None:
    waiting = new(shopify_payload(financial_status="pending"))
    assert waiting.status == S.AWAITING_PAYMENT
    assert waiting.reservation.reserved == {}
    paid = decide(waiting, snapshot(shopify_payload(updated_at="2026-06-01T11:00:00Z")), actor(minutes=1))
    assert committed(paid).status == S.CONFIRMED
    assert [m.kind for m in paid.moves] == [MoveKind.RESERVE] * 3


@pytest.mark.parametrize("status", ["partially_paid", "something_new"])
def test_a_partial_or_unknown_payment_is_held_for_review(status: str) -> None:
    order = new(shopify_payload(financial_status=status))
    assert order.status == S.ON_HOLD
    assert order.hold is not None
    assert order.hold.reason == HoldReason.PAYMENT_REVIEW


@pytest.mark.parametrize("status", ["voided", "expired"])
def test_a_voided_or_failed_payment_cancels_and_reserves_nothing(status: str) -> None:
    change = decide(None, snapshot(shopify_payload(financial_status=status)), actor())
    assert committed(change).status == S.CANCELLED
    assert change.moves == []


def test_a_cancellation_of_a_confirmed_order_releases_exactly_what_it_held() -> None:
    order = new(shopify_payload(lines={"A": 2}))
    cancel = snapshot(
        shopify_payload(
            lines={"A": 2}, cancelled_at="2026-06-01T11:00:00Z", updated_at="2026-06-01T11:00:00Z"
        )
    )
    change = decide(order, cancel, actor(minutes=1))
    assert committed(change).status == S.CANCELLED
    assert moves(change) == [("A", 2, "release")]
    assert committed(change).reservation.reserved == {}


def test_a_refund_releases_and_a_partial_refund_keeps_the_order_going() -> None:
    order = new(shopify_payload(lines={"A": 1}))
    refunded = decide(
        order,
        snapshot(
            shopify_payload(lines={"A": 1}, financial_status="refunded", updated_at="2026-06-01T11:00:00Z")
        ),
        actor(minutes=1),
    )
    assert committed(refunded).status == S.REFUNDED
    assert moves(refunded) == [("A", 1, "release")]
    partial = decide(
        order,
        snapshot(
            shopify_payload(
                lines={"A": 1}, financial_status="partially_refunded", updated_at="2026-06-01T11:00:00Z"
            )
        ),
        actor(minutes=1),
    )
    assert committed(partial).status == S.PARTIALLY_REFUNDED
    assert partial.moves == []


def test_an_older_snapshot_than_the_stored_one_changes_nothing() -> None:
    order = new(shopify_payload(updated_at="2026-06-01T10:00:00Z"))
    stale = snapshot(shopify_payload(updated_at="2026-06-01T09:00:00Z", financial_status="voided"))
    assert decide(order, stale, actor(minutes=1)) is None


def test_the_same_delivery_again_changes_nothing() -> None:
    order = new(shopify_payload())
    assert decide(order, snapshot(shopify_payload()), actor(minutes=1)) is None


def test_a_snapshot_with_the_stored_timestamp_but_other_content_is_applied_not_taken_as_stale() -> None:
    """Channels stamp updates to the second: two changes within one second share a timestamp."""
    order = new(shopify_payload(lines={"A": 1}))
    same_second = snapshot(shopify_payload(lines={"A": 1}, financial_status="voided"))
    change = decide(order, same_second, actor(minutes=1))
    assert committed(change).status == S.CANCELLED
    assert moves(change) == [("A", 1, "release")]


def test_a_newer_timestamp_with_the_same_content_only_remembers_the_timestamp() -> None:
    order = new(shopify_payload())
    change = decide(order, snapshot(shopify_payload(updated_at="2026-06-01T12:00:00Z")), actor(minutes=1))
    assert change is not None
    assert change.order is not None
    assert change.order.outcome == "touched"
    assert change.order.events == []
    assert change.moves == []


def test_an_edit_of_a_confirmed_order_moves_the_reservation_to_the_new_lines() -> None:
    order = new(shopify_payload(lines={"A": 2, "B": 1}))
    edited = shopify_payload(lines={"A": 1, "C": 4}, updated_at="2026-06-01T11:00:00Z")
    change = decide(order, snapshot(edited), actor(minutes=1))
    assert moves(change) == [("A", 1, "release"), ("B", 1, "release"), ("C", 4, "reserve")]
    assert committed(change).reservation.reserved == {"A": 1, "C": 4}
    assert kinds(change) == ["OrderUpdated"]


def test_a_shortage_holds_the_order_with_the_short_lines_and_reserves_nothing_at_all() -> None:
    short = [ShortLine(sku="B", requested=1, available=0)]
    change = decide(
        None, snapshot(shopify_payload(lines={"A": 2, "B": 1})), actor(), IntakeContext(shortage=short)
    )
    order = committed(change)
    assert order.status == S.ON_HOLD
    assert order.hold is not None
    assert (order.hold.reason, order.hold.short_lines) == (HoldReason.OUT_OF_STOCK, short)
    assert f"POST /orders/{order.order_id}/retry" in (order.hold.note or "")
    assert change.moves == []
    assert order.reservation.reserved == {}


def test_an_unknown_sku_is_an_unknown_sku_hold() -> None:
    short = [ShortLine(sku="NOPE", requested=1, available=None)]
    order = committed(
        decide(None, snapshot(shopify_payload(lines={"NOPE": 1})), actor(), IntakeContext(shortage=short))
    )
    assert order.hold is not None
    assert order.hold.reason == HoldReason.UNKNOWN_SKU


def test_a_line_with_no_sku_and_no_mapping_holds_the_order_naming_its_variant() -> None:
    payload = shopify_payload(lines={"A": 1})
    payload["line_items"][0].update(sku="", variant_id=4242)
    change = decide(None, snapshot(payload), actor())
    order = committed(change)
    assert order.hold is not None
    assert order.hold.reason == HoldReason.UNKNOWN_SKU
    (line,) = order.hold.short_lines
    assert (line.sku, line.variant_key, line.requested) == (None, "v4242", 1)
    assert change.moves == []


def test_a_held_order_is_tried_again_and_confirmed_when_the_shortage_is_gone() -> None:
    held = committed(
        decide(
            None,
            snapshot(shopify_payload(lines={"A": 1})),
            actor(),
            IntakeContext(shortage=[ShortLine(sku="A", requested=1, available=0)]),
        )
    )
    again = decide(
        held, snapshot(shopify_payload(lines={"A": 1})), actor(minutes=1), IntakeContext(force=True)
    )
    assert committed(again).status == S.CONFIRMED
    assert committed(again).timeline[-1].reason == "out_of_stock resolved"
    assert moves(again) == [("A", 1, "reserve")]


def test_a_still_short_retry_says_nothing_new() -> None:
    short = [ShortLine(sku="A", requested=1, available=0)]
    held = committed(
        decide(None, snapshot(shopify_payload(lines={"A": 1})), actor(), IntakeContext(shortage=short))
    )
    again = decide(
        held, snapshot(shopify_payload(lines={"A": 1})), actor(minutes=1), IntakeContext(shortage=short)
    )
    assert again is not None
    assert again.order is not None
    assert again.order.events == []
    assert committed(again).status == S.ON_HOLD


def test_an_order_with_nothing_to_ship_is_delivered_on_confirmation() -> None:
    payload = shopify_payload(lines={"EBOOK": 1})
    payload["line_items"][0]["requires_shipping"] = False
    change = decide(None, snapshot(payload), actor())
    order = committed(change)
    assert [(t.from_status, t.to_status) for t in order.timeline] == [
        (None, S.PLACED),
        (S.PLACED, S.CONFIRMED),
        (S.CONFIRMED, S.DELIVERED),
    ]
    assert order.delivered_at == NOW
    assert change.moves == []


def test_a_deleted_order_is_cancelled_releasing_its_stock_and_deleting_twice_changes_nothing() -> None:
    order = new(shopify_payload(lines={"A": 2}))
    deleted = OrderDeleted(Channel.SHOPIFY, order.store_id, order.channel_order_id, NOW)
    change = decide(order, deleted, actor(minutes=1))
    assert committed(change).status == S.CANCELLED
    assert moves(change) == [("A", 2, "release")]
    assert decide(committed(change), deleted, actor(minutes=2)) is None
    assert decide(None, deleted, actor()) is None


def test_a_forced_retry_decides_the_same_snapshot_again() -> None:
    order = new(shopify_payload())
    assert decide(order, snapshot(shopify_payload()), actor(minutes=1), IntakeContext(force=True)) is not None


def test_every_event_of_a_change_gets_a_stable_id_from_the_new_version() -> None:
    order = new(shopify_payload(lines={"A": 1}))
    cancel = snapshot(
        shopify_payload(lines={"A": 1}, financial_status="voided", updated_at="2026-06-01T11:00:00Z")
    )
    first = decide(order, cancel, actor(minutes=1))
    second = decide(order, cancel, actor(minutes=5))
    assert first is not None
    assert second is not None
    assert first.order
    assert second.order
    assert (
        [e.id for e in first.order.events] == [e.id for e in second.order.events] == [f"{order.order_id}:2:0"]
    )


def test_stock_moves_never_name_a_line_without_a_stock_item() -> None:
    payload = shopify_payload(lines={"A": 1, "B": 1})
    payload["line_items"][1].update(sku="", variant_inventory_management=None)  # made to order
    change = decide(None, snapshot(payload), actor())
    assert committed(change).status == S.CONFIRMED
    assert change.moves == [StockMove("A", 1, MoveKind.RESERVE)]
    assert timedelta(0) == committed(change).updated_at - NOW


def held_with_stock(reason: HoldReason) -> Order:
    """A confirmed order that fulfilment put on hold keeping its reservation."""
    from oms.models import Hold
    from oms.order_changes import transition

    order = new(shopify_payload(lines={"A": 2}))
    held, _ = transition(order, S.ON_HOLD, actor(minutes=1), reason=reason.value, hold=Hold(reason=reason))
    return held.model_copy(update={"version": 2})


def test_a_channel_update_to_an_order_held_for_want_of_a_location_keeps_the_hold_and_the_reservation() -> (
    None
):
    reason = HoldReason.NO_FULFILMENT_LOCATION
    held = held_with_stock(reason)
    update = shopify_payload(lines={"A": 2}, updated_at="2026-06-01T10:30:00Z", note="gift wrap please")
    change = decide(held, snapshot(update), actor(minutes=2))
    order = committed(change)
    assert (order.status, order.hold and order.hold.reason) == (S.ON_HOLD, reason)
    assert moves(change) == []
    assert order.reservation.reserved == {"A": 2}


def test_the_timeline_says_why_the_channel_ended_an_order() -> None:
    order = new(shopify_payload(lines={"A": 1}))
    cancelled = shopify_payload(
        lines={"A": 1},
        updated_at="2026-06-01T11:00:00Z",
        cancelled_at="2026-06-01T11:00:00Z",
        cancel_reason=None,
    )
    gone = committed(decide(order, snapshot(cancelled), actor(minutes=3)))
    assert (gone.status, gone.timeline[-1].reason) == (S.CANCELLED, "cancelled in channel")
    refunded = shopify_payload(lines={"A": 1}, updated_at="2026-06-01T11:00:00Z", financial_status="refunded")
    back = committed(decide(order, snapshot(refunded), actor(minutes=3)))
    assert (back.status, back.timeline[-1].reason) == (S.REFUNDED, "payment refunded")


def test_a_retry_still_short_but_by_less_records_the_new_shortage_once() -> None:
    held = committed(
        decide(
            None,
            snapshot(shopify_payload(lines={"A": 3})),
            actor(),
            IntakeContext(shortage=[ShortLine(sku="A", requested=3, available=0)]),
        )
    )
    less = [ShortLine(sku="A", requested=3, available=1)]
    again = committed(
        decide(
            held, snapshot(shopify_payload(lines={"A": 3})), actor(minutes=1), IntakeContext(shortage=less)
        )
    )
    assert again.hold is not None
    assert (again.status, again.hold.short_lines) == (S.ON_HOLD, less)
    assert len(again.timeline) == len(held.timeline) + 1
