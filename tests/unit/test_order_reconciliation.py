"""What the channel changes after allocation (oms.order_reconciliation through intake decisions):
the stock invariant holds after every change; pending shipments shrink, packed ones stop the order."""

from __future__ import annotations

from oms.fulfilment import allocate_order, pack
from oms.intake_rules import IntakeContext, decide
from oms.models import ChannelFulfilment, ChannelFulfilmentLine, Order
from oms.order_changes import MoveKind
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.order_reconciliation import StockView
from oms.shipments import LEFT, OPEN, Label, Shipment, ShipmentStatus
from tests.unit.builders import EAST, WEST, actor, shopify_payload, snapshot, store

S = OrderStatus
T = ShipmentStatus


def invariant(order: Order, shipments: list[Shipment]) -> None:
    """reserved = what open shipments carry + what no shipment carries yet; allocated per location
    = what open shipments carry there."""
    carried: dict[str, int] = {}
    at: dict[str, dict[str, int]] = {}
    for s in shipments:
        if s.status in OPEN:
            for ln in s.lines:
                if ln.holds_stock and ln.sku:
                    carried[ln.sku] = carried.get(ln.sku, 0) + ln.quantity
                    at.setdefault(s.location, {})[ln.sku] = (
                        at.get(s.location, {}).get(ln.sku, 0) + ln.quantity
                    )
    for sku, qty in carried.items():
        assert order.reservation.reserved.get(sku, 0) >= qty, (sku, order.reservation)
    assert {
        loc: {k: v for k, v in lines.items() if v} for loc, lines in at.items()
    } == order.reservation.allocated


def placed(lines: dict[str, int]) -> tuple[Order, list[Shipment], dict]:
    payload = shopify_payload(lines=lines)
    first = decide(None, snapshot(payload), actor())
    assert first is not None
    assert first.order is not None
    available = {(loc, sku): 10 for sku in lines for loc in ("wh-east", "wh-west")}
    change = allocate_order(
        first.order.order, [], store(location_priority=["wh-east"]), [EAST, WEST], available, actor(minutes=1)
    )
    assert change is not None
    assert change.order is not None
    return change.order.order, [sc.shipment for sc in change.shipments], payload


def apply(order: Order, shipments: list[Shipment], payload: dict, minute: int, **context: object):
    changed = decide(
        order,
        snapshot(payload),
        actor("shopify:orders/updated", minute),
        IntakeContext(shipments=shipments, **context),
    )
    assert changed is not None
    assert changed.order is not None
    after = {s.shipment_id: s for s in shipments}
    for sc in changed.shipments:
        after[sc.shipment.shipment_id] = sc.shipment
    invariant(changed.order.order, list(after.values()))
    return changed, changed.order.order, list(after.values())


def test_an_edit_down_shrinks_the_pending_shipment_and_gives_back_exactly_that_stock() -> None:
    order, shipments, payload = placed({"A": 3, "B": 1})
    labelled = [
        shipments[0].model_copy(
            update={"label": Label(provider="sandbox", carrier="X", tracking_number="T1")}
        )
    ]
    payload = payload | {"updated_at": "2026-06-01T11:00:00Z"}
    payload["line_items"][0]["current_quantity"] = 1
    change, after, ships = apply(order, labelled, payload, 2)
    assert sorted((m.sku, m.quantity, m.kind.value, m.location) for m in change.moves if m.location) == [
        ("A", 2, "deallocate", "wh-east")
    ]
    assert sorted((m.sku, m.quantity, m.kind.value) for m in change.moves if not m.location) == [
        ("A", 2, "release")
    ]
    (shipment,) = ships
    assert [(ln.sku, ln.quantity) for ln in shipment.lines] == [("A", 1), ("B", 1)]
    assert (shipment.label, len(shipment.labels_to_void)) == (None, 1)
    assert after.reservation.reserved == {"A": 1, "B": 1}
    assert [e.type for e in change.shipments[0].events] == ["ShipmentChanged"]


def test_a_cancellation_after_allocation_cancels_the_pending_shipment_and_releases_everything() -> None:
    order, shipments, payload = placed({"A": 2})
    payload = payload | {"cancelled_at": "2026-06-01T11:00:00Z", "updated_at": "2026-06-01T11:00:00Z"}
    change, after, ships = apply(order, shipments, payload, 2)
    assert after.status == S.CANCELLED
    assert ships[0].status == T.CANCELLED
    assert after.reservation.reserved == {}
    assert after.reservation.allocated == {}
    assert sorted(m.kind for m in change.moves) == [MoveKind.DEALLOCATE, MoveKind.RELEASE]


def test_a_refund_while_a_parcel_is_packed_holds_the_order_and_leaves_the_box_alone() -> None:
    order, shipments, payload = placed({"A": 2})
    packed = pack(order, shipments[0], actor(minutes=2)).shipments[0].shipment
    payload = payload | {"financial_status": "refunded", "updated_at": "2026-06-01T11:00:00Z"}
    change, after, ships = apply(order, [packed], payload, 3)
    assert (after.status, after.hold and after.hold.reason) == (S.ON_HOLD, HoldReason.MANUAL)
    assert packed.shipment_id in (after.hold.note or "")
    assert ships[0].status == T.PACKED
    assert change.moves == []
    assert after.reservation.reserved == {"A": 2}


def test_units_the_channel_fulfilled_come_out_of_our_pending_shipment_and_are_committed_where_allocated() -> (
    None
):
    order, shipments, payload = placed({"A": 2, "B": 1})
    line_a = payload["line_items"][0]["id"]
    payload = payload | {
        "updated_at": "2026-06-01T11:00:00Z",
        "fulfillments": [
            {
                "id": 901,
                "status": "success",
                "tracking_number": "1Z9",
                "tracking_company": "UPS",
                "line_items": [{"id": line_a, "quantity": 2}],
            }
        ],
    }
    change, after, ships = apply(order, shipments, payload, 2)
    ours = next(s for s in ships if s.source == "oms")
    theirs = next(s for s in ships if s.source == "channel")
    assert [(ln.sku, ln.quantity) for ln in ours.lines] == [("B", 1)]
    assert (
        [(ln.sku, ln.quantity) for ln in theirs.lines],
        theirs.status,
        theirs.label and theirs.label.tracking_number,
    ) == (
        [("A", 2)],
        T.SHIPPED,
        "1Z9",
    )
    assert sorted((m.kind.value, m.location or "") for m in change.moves) == [
        ("commit", ""),
        ("commit", "wh-east"),
    ]
    assert after.reservation.committed == {"A": 2}
    assert after.status == S.PARTIALLY_SHIPPED
    # The same report again takes nothing more.
    again = decide(
        after,
        snapshot(payload | {"updated_at": "2026-06-01T12:00:00Z"}),
        actor(minutes=3),
        IntakeContext(shipments=ships),
    )
    assert again is None or (again.moves == [] and again.shipments == [])


def test_a_sale_the_channel_fulfilled_before_we_saw_it_takes_stock_from_the_best_location_once() -> None:
    payload = shopify_payload(lines={"A": 3}, source_name="pos")
    payload["fulfillments"] = [
        {"id": 5, "status": "success", "line_items": [{"id": payload["line_items"][0]["id"], "quantity": 3}]}
    ]
    view = StockView(
        locations=[EAST, WEST], available={("wh-east", "A"): 2, ("wh-west", "A"): 5}, totals={"A": 7}
    )
    change = decide(None, snapshot(payload), actor(), IntakeContext(view=view))
    assert change is not None
    assert change.order is not None
    assert sorted((m.kind.value, m.location or "", m.quantity) for m in change.moves) == [
        ("take", "", 3),
        ("take", "wh-east", 2),
        ("take", "wh-west", 1),
    ]
    assert change.order.order.status == S.DELIVERED  # handed over at the counter
    assert all(sc.shipment.source == "channel" for sc in change.shipments)


def test_a_channel_sale_beyond_our_count_is_noted_never_taken_below_zero() -> None:
    payload = shopify_payload(lines={"A": 3})
    payload["fulfillments"] = [
        {"id": 5, "status": "success", "line_items": [{"id": payload["line_items"][0]["id"], "quantity": 3}]}
    ]
    view = StockView(locations=[EAST], available={("wh-east", "A"): 1}, totals={"A": 1})
    change = decide(None, snapshot(payload), actor(), IntakeContext(view=view))
    assert change is not None
    assert change.order is not None
    assert sorted((m.kind.value, m.location or "", m.quantity) for m in change.moves) == [
        ("take", "", 1),
        ("take", "wh-east", 1),
    ]
    assert any("recount" in note.text for note in change.order.order.notes)


def test_a_failed_channel_fulfilment_counts_for_nothing() -> None:
    fulfilment = ChannelFulfilment(
        fulfilment_id="1", status="failure", lines=[ChannelFulfilmentLine(line_id="1", quantity=1)]
    )
    assert not fulfilment.counts
    assert ChannelFulfilment(fulfilment_id="2").counts
    assert LEFT.isdisjoint(OPEN)
