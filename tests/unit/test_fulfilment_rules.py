"""Fulfilment rules (oms.fulfilment): allocating an order to shipments, packing, shipping and
cancelling them, and where an order stands with its shipments."""

from __future__ import annotations

import pytest

from oms.errors import Conflict
from oms.fulfilment import allocate_order, cancel_shipment, pack, ship, shipping_status
from oms.intake_rules import decide
from oms.models import Order
from oms.order_changes import MoveKind
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.shipments import Label, Shipment, ShipmentStatus
from tests.unit.builders import EAST, WEST, actor, shopify_payload, snapshot, store

S = OrderStatus


def confirmed(lines: dict[str, int], **changes: object) -> Order:
    change = decide(None, snapshot(shopify_payload(lines=lines, **changes)), actor())
    assert change is not None
    assert change.order is not None
    assert change.order.order.status == S.CONFIRMED
    return change.order.order


def allocated(order: Order, available: dict[tuple[str, str], int]) -> tuple[Order, list[Shipment]]:
    change = allocate_order(
        order, [], store(location_priority=["wh-east"]), [EAST, WEST], available, actor(minutes=1)
    )
    assert change is not None
    assert change.order is not None
    return change.order.order, [sc.shipment for sc in change.shipments]


def test_a_confirmed_order_gets_one_shipment_per_location_and_its_stock_is_promised_there() -> None:
    order = confirmed({"A": 2, "B": 1})
    change = allocate_order(
        order, [], store(), [EAST, WEST], {("wh-east", "A"): 5, ("wh-west", "B"): 5}, actor(minutes=1)
    )
    assert change is not None
    assert change.order is not None
    assert sorted(
        (s.shipment.location, [(ln.sku, ln.quantity) for ln in s.shipment.lines]) for s in change.shipments
    ) == [
        ("wh-east", [("A", 2)]),
        ("wh-west", [("B", 1)]),
    ]
    assert sorted((m.sku, m.quantity, m.kind, m.location) for m in change.moves) == [
        ("A", 2, MoveKind.ALLOCATE, "wh-east"),
        ("B", 1, MoveKind.ALLOCATE, "wh-west"),
    ]
    after = change.order.order
    assert after.status == S.FULFILLING
    assert after.reservation.allocated == {"wh-east": {"A": 2}, "wh-west": {"B": 1}}
    assert after.shipment_count == 2
    assert [s.shipment.shipment_id for s in change.shipments] == [
        f"{order.order_id}-S1",
        f"{order.order_id}-S2",
    ]


def test_lines_that_ship_without_stock_go_with_the_others() -> None:
    payload = shopify_payload(lines={"A": 1, "MUG": 1})
    payload["line_items"][1].update(sku="", variant_inventory_management=None)
    change = decide(None, snapshot(payload), actor())
    assert change is not None
    assert change.order is not None
    _, (shipment,) = allocated(change.order.order, {("wh-east", "A"): 3})
    assert [(ln.quantity, ln.holds_stock) for ln in shipment.lines] == [(1, True), (1, False)]
    assert shipment.location == "wh-east"


def test_no_location_with_the_stock_holds_the_order_automatically_and_refuses_staff() -> None:
    order = confirmed({"A": 1})
    change = allocate_order(order, [], store(), [EAST], {}, actor(minutes=1))
    assert change is not None
    assert change.order is not None
    held = change.order.order
    assert (held.status, held.hold and held.hold.reason) == (S.ON_HOLD, HoldReason.NO_FULFILMENT_LOCATION)
    assert held.reservation.reserved == {"A": 1}  # still reserved
    assert change.moves == []
    with pytest.raises(Conflict) as refused:
        allocate_order(held, [], store(), [EAST], {}, actor(minutes=2), by_staff=True)
    assert refused.value.code == "no_fulfilment_location"


def test_allocating_again_finds_nothing_to_do_and_staff_are_told_so() -> None:
    order, shipments = allocated(confirmed({"A": 1}), {("wh-east", "A"): 3})
    assert allocate_order(order, shipments, store(), [EAST], {("wh-east", "A"): 2}, actor(minutes=2)) is None
    with pytest.raises(Conflict) as refused:
        allocate_order(
            order, shipments, store(), [EAST], {("wh-east", "A"): 2}, actor(minutes=2), by_staff=True
        )
    assert refused.value.code == "nothing_to_allocate"


def test_shipping_commits_the_shipments_stock_at_its_location_and_the_total_once() -> None:
    order, (shipment,) = allocated(confirmed({"A": 2}), {("wh-east", "A"): 3})
    change = ship(order, shipment, [], actor(minutes=2), None)
    assert sorted((m.kind, m.location or "") for m in change.moves) == [
        (MoveKind.COMMIT, ""),
        (MoveKind.COMMIT, "wh-east"),
    ]
    assert change.order is not None
    after = change.order.order
    assert after.status == S.SHIPPED
    assert (after.reservation.reserved, after.reservation.committed, after.reservation.allocated) == (
        {},
        {"A": 2},
        {},
    )
    assert change.shipments[0].shipment.status == ShipmentStatus.SHIPPED


def test_shipping_one_of_two_shipments_is_partial() -> None:
    order, shipments = allocated(confirmed({"A": 1, "B": 1}), {("wh-east", "A"): 1, ("wh-west", "B"): 1})
    change = ship(order, shipments[0], shipments[1:], actor(minutes=2), None)
    assert change.order is not None
    assert change.order.order.status == S.PARTIALLY_SHIPPED


def test_a_shipment_whose_order_no_longer_wants_it_is_neither_packed_nor_shipped() -> None:
    order, (shipment,) = allocated(confirmed({"A": 1}), {("wh-east", "A"): 3})
    held = order.model_copy(update={"status": S.CANCELLED})
    for step in (lambda: pack(held, shipment, actor()), lambda: ship(held, shipment, [], actor(), None)):
        with pytest.raises(Conflict) as refused:
            step()
        assert refused.value.code == "order_not_shipping"


def test_cancelling_a_shipment_gives_its_location_back_keeps_the_reservation_and_asks_for_a_label_void() -> (
    None
):
    order, (shipment,) = allocated(confirmed({"A": 2}), {("wh-east", "A"): 3})
    labelled = shipment.model_copy(
        update={"label": Label(provider="sandbox", carrier="Sandbox", tracking_number="SBX1")}
    )
    change = cancel_shipment(order, labelled, [labelled], actor(minutes=2), reason="damaged box")
    assert [(m.kind, m.location) for m in change.moves] == [(MoveKind.DEALLOCATE, "wh-east")]
    cancelled = change.shipments[0].shipment
    assert (cancelled.status, cancelled.label, len(cancelled.labels_to_void)) == (
        ShipmentStatus.CANCELLED,
        None,
        1,
    )
    assert change.order is not None
    after = change.order.order
    assert after.reservation.reserved == {"A": 2}
    assert after.status == S.ON_HOLD  # nothing left to ship it: staff allocate again
    with pytest.raises(Conflict) as refused:
        cancel_shipment(
            order, shipment.model_copy(update={"status": ShipmentStatus.SHIPPED}), [], actor(), reason="x"
        )
    assert refused.value.code == "shipment_already_shipped"


def test_where_an_order_stands_follows_its_shipments() -> None:
    order, shipments = allocated(confirmed({"A": 1, "B": 1}), {("wh-east", "A"): 1, ("wh-west", "B"): 1})
    assert shipping_status(order, shipments) == S.FULFILLING
    first = shipments[0].model_copy(update={"status": ShipmentStatus.SHIPPED})
    assert shipping_status(order, [first, shipments[1]]) == S.PARTIALLY_SHIPPED
    both = [s.model_copy(update={"status": ShipmentStatus.DELIVERED}) for s in shipments]
    assert shipping_status(order, both) == S.DELIVERED
    assert (
        shipping_status(
            order, [both[0], shipments[1].model_copy(update={"status": ShipmentStatus.IN_TRANSIT})]
        )
        == S.SHIPPED
    )
    assert shipping_status(order, []) == S.CONFIRMED


def test_staff_allocate_only_what_no_shipment_carries_after_one_of_two_is_cancelled() -> None:
    order, shipments = allocated(
        confirmed({"A": 3, "B": 1}), {("wh-east", "A"): 1, ("wh-east", "B"): 1, ("wh-west", "A"): 2}
    )
    by_location = {s.location: s for s in shipments}
    assert order.reservation.allocated == {"wh-east": {"A": 1, "B": 1}, "wh-west": {"A": 2}}
    cancel = cancel_shipment(order, by_location["wh-west"], shipments, actor(minutes=2), reason="dropped")
    assert cancel.order is not None
    left = cancel.order.order
    assert left.reservation.allocated == {"wh-east": {"A": 1, "B": 1}}
    others = [by_location["wh-east"], cancel.shipments[0].shipment]
    again = allocate_order(
        left, others, store(), [EAST, WEST], {("wh-west", "A"): 5}, actor(minutes=3), by_staff=True
    )
    assert again is not None
    (new,) = [sc.shipment for sc in again.shipments]
    assert (new.location, [(ln.sku, ln.quantity) for ln in new.lines]) == ("wh-west", [("A", 2)])
    assert new.shipment_id == f"{order.order_id}-S3"


def test_a_label_goes_on_an_open_shipment_without_one_and_nowhere_else() -> None:
    from oms.fulfilment import attach_label

    _, (shipment,) = allocated(confirmed({"A": 1}), {("wh-east", "A"): 3})
    label = Label(provider="sandbox", carrier="Sandbox", tracking_number="SBX9")
    change = attach_label(shipment, label, actor(minutes=2))
    labelled = change.shipments[0].shipment
    assert (labelled.label, labelled.version, [e.type for e in change.shipments[0].events]) == (
        label,
        shipment.version + 1,
        ["ShipmentLabelCreated"],
    )
    for status, code in (
        (ShipmentStatus.SHIPPED, "shipment_already_shipped"),
        (ShipmentStatus.DELIVERED, "shipment_already_shipped"),
        (ShipmentStatus.CANCELLED, "shipment_cancelled"),
    ):
        with pytest.raises(Conflict) as refused:
            attach_label(shipment.model_copy(update={"status": status}), label, actor(minutes=3))
        assert refused.value.code == code
    with pytest.raises(Conflict) as twice:
        attach_label(labelled, label, actor(minutes=3))
    assert twice.value.code == "label_exists"


def test_two_lines_of_one_sku_are_committed_as_one_move_of_their_sum() -> None:
    payload = shopify_payload(lines={"A": 1, "B": 2})
    payload["line_items"][1]["sku"] = "A"
    decided = decide(None, snapshot(payload), actor())
    assert decided is not None
    assert decided.order is not None
    assert decided.order.order.reservation.reserved == {"A": 3}
    order, (shipment,) = allocated(decided.order.order, {("wh-east", "A"): 5})
    assert [(ln.sku, ln.quantity) for ln in shipment.lines] == [("A", 1), ("A", 2)]
    change = ship(order, shipment, [], actor(minutes=2), None)
    assert sorted((m.kind, m.location or "", m.quantity) for m in change.moves) == [
        (MoveKind.COMMIT, "", 3),
        (MoveKind.COMMIT, "wh-east", 3),
    ]
    assert change.order is not None
    after = change.order.order.reservation
    assert (after.reserved, after.committed, after.allocated) == ({}, {"A": 3}, {})


def test_a_shipment_moves_only_along_its_lifecycle_and_records_when_it_was_delivered() -> None:
    from oms.errors import IllegalTransition
    from oms.fulfilment import ShipmentChange, move_shipment

    _, (shipment,) = allocated(confirmed({"A": 1}), {("wh-east", "A"): 3})
    change = ShipmentChange(shipment=shipment, expected_version=shipment.version)
    with pytest.raises(IllegalTransition):
        move_shipment(change, ShipmentStatus.DELIVERED, actor(minutes=2))  # pending cannot be delivered
    move_shipment(change, ShipmentStatus.SHIPPED, actor(minutes=2))
    assert (change.shipment.shipped_at, change.shipment.delivered_at) == (actor(minutes=2).at, None)
    move_shipment(change, ShipmentStatus.DELIVERED, actor(minutes=9))
    assert change.shipment.delivered_at == actor(minutes=9).at
    assert [e.type for e in change.events] == ["ShipmentShipped", "ShipmentDelivered"]


def test_without_a_store_allocation_ranks_by_id_splits_and_prefers_the_customers_country() -> None:
    from oms.fulfilment import rules_for

    assert rules_for(None) == rules_for(store())
    rules = rules_for(store(location_priority=["wh-west"], allow_split=False, prefer_same_country=False))
    assert (rules.priority, rules.allow_split, rules.prefer_same_country) == (("wh-west",), False, False)


def test_a_delivered_order_completes_when_its_return_window_has_fully_passed() -> None:
    from datetime import timedelta

    from oms.fulfilment import complete
    from tests.unit.builders import NOW

    delivered = confirmed({"A": 1}).model_copy(update={"status": S.DELIVERED, "delivered_at": NOW})
    default_window = NOW + timedelta(days=30)
    assert complete(delivered, None, default_window - timedelta(seconds=1), actor()) is None
    done = complete(delivered, None, default_window, actor())
    assert done is not None
    assert (done.order.status, done.order.timeline[-1].reason) == (
        S.COMPLETED,
        "return window of 30 days over",
    )
    assert (done.order.version, [e.type for e in done.events]) == (delivered.version + 1, ["OrderCompleted"])
    assert complete(delivered, store(return_window_days=3), NOW + timedelta(days=3), actor()) is not None
    assert complete(delivered, store(return_window_days=3), NOW + timedelta(days=2), actor()) is None
    assert complete(confirmed({"A": 1}), None, default_window, actor()) is None  # not delivered
