"""Return, exchange and claim rules (oms.returns, oms.replacements, oms.claims, oms.return_page):
pure, over orders built from the real Shopify fixture."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from oms.claims import ClaimAsk, plan_claim, reshipment
from oms.errors import Conflict, ValidationFailed
from oms.models import ClaimLine, Order, RefundLine, ReturnPolicy, ReturnReason
from oms.money import Money
from oms.order_changes import MoveKind, new_order
from oms.order_lifecycle import OrderStatus
from oms.refunds import line_value, share
from oms.replacements import ReplacementLine, release_replacement, replacement_change
from oms.return_lifecycle import TRANSITIONS, ReturnStatus
from oms.return_page import Typed, render_return, render_returnable, return_view, returnable_view
from oms.returns import (
    ExchangeLine,
    LineReceipt,
    LineReturn,
    Return,
    check_exchange,
    exchange_owed,
    plan_lines,
    receive_lines,
    refund_due,
    returnable,
    track,
)
from oms.shipments import Label, Shipment, ShipmentLine, ShipmentStatus, TrackingEvent
from tests.unit.builders import NOW, actor, shopify_payload, snapshot

R = ReturnStatus
POLICY = ReturnPolicy(
    reasons=[
        ReturnReason(code="size_or_fit", label="Size", restocking_fee_percent=Decimal("10")),
        ReturnReason(code="changed_mind", label="Changed my mind", customer_pays_shipping=True),
        ReturnReason(code="damaged", label="Damaged"),
    ],
    final_sale_sku_prefixes=["FINAL-"],
)


def delivered(lines: dict[str, int]) -> tuple[Order, list[Shipment]]:
    """A paid order of ``lines``, every unit shipped and delivered at NOW."""
    order, _ = new_order(snapshot(shopify_payload(lines=lines)), actor())
    order = order.model_copy(update={"status": OrderStatus.DELIVERED, "delivered_at": NOW})
    shipment = Shipment(
        shipment_id=f"{order.order_id}-S1",
        order_id=order.order_id,
        store_id=order.store_id,
        channel="shopify",
        number=order.number,
        location="wh-east",
        lines=[
            ShipmentLine(line_id=x.line_id, sku=x.sku, name=x.name, quantity=x.quantity) for x in order.lines
        ],
        status=ShipmentStatus.DELIVERED,
        created_at=NOW,
        updated_at=NOW,
        shipped_at=NOW - timedelta(days=2),
        delivered_at=NOW,
    )
    return order, [shipment]


def ask(line_id: str, quantity: int = 1, reason: str = "size_or_fit") -> LineReturn:
    return LineReturn(line_id=line_id, quantity=quantity, reason=reason)


def a_return(order: Order, shipments: list[Shipment], *asks: LineReturn, **fields: object) -> Return:
    lines = plan_lines(order, shipments, list(asks), POLICY, window_days=30, now=NOW, override=None)
    return Return(
        return_id=f"{order.order_id}-R1",
        order_id=order.order_id,
        store_id=order.store_id,
        channel="shopify",
        number=order.number,
        status=R.REQUESTED,
        lines=lines,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


def test_only_shipped_units_not_yet_in_a_return_nor_restocked_by_a_refund_may_come_back() -> None:
    order, shipments = delivered({"A": 3, "B": 1})
    a, b = (x.line_id for x in order.lines)
    assert returnable(order, shipments) == {a: 3, b: 1}
    taken = order.model_copy(update={"returned": {a: 2}})
    refund_line = RefundLine(
        line_id=b, quantity=1, amount=Money.of("1", "USD"), tax=Money.zero("USD"), restock=True, restocked=1
    )
    refund = _refund(order, [refund_line])
    both = taken.model_copy(update={"refunds": [refund]})
    assert returnable(both, shipments) == {a: 1, b: 0}
    with pytest.raises(Conflict) as refused:
        plan_lines(both, shipments, [ask(a, 2)], POLICY, window_days=30, now=NOW, override="staff say so")
    assert refused.value.code == "quantity_exceeds_shipped"  # never overridden


def test_the_window_counts_from_delivery_and_final_sale_holds_unless_staff_override() -> None:
    order, shipments = delivered({"A": 1, "FINAL-1": 1})
    a, final = (x.line_id for x in order.lines)
    late = NOW + timedelta(days=31)
    with pytest.raises(Conflict) as closed:
        plan_lines(order, shipments, [ask(a)], POLICY, window_days=30, now=late, override=None)
    assert closed.value.code == "return_window_closed"
    assert plan_lines(order, shipments, [ask(a)], POLICY, window_days=30, now=late, override="loyal customer")
    with pytest.raises(Conflict) as sale:
        plan_lines(order, shipments, [ask(final)], POLICY, window_days=30, now=NOW, override=None)
    assert sale.value.code == "final_sale"
    with pytest.raises(ValidationFailed) as reason:
        plan_lines(order, shipments, [ask(a, reason="bored")], POLICY, window_days=30, now=NOW, override=None)
    assert reason.value.code == "unknown_reason"
    unshipped = [
        s.model_copy(update={"status": ShipmentStatus.PENDING, "shipped_at": None}) for s in shipments
    ]
    placed = order.model_copy(update={"delivered_at": None})
    with pytest.raises(Conflict) as nothing:
        plan_lines(placed, unshipped, [ask(a)], POLICY, window_days=30, now=NOW, override=None)
    assert nothing.value.code == "nothing_shipped"


def test_a_refund_is_what_the_units_were_paid_less_the_fee_and_the_label_the_customer_pays() -> None:
    order, shipments = delivered({"A": 2, "B": 1})
    a, b = (x.line_id for x in order.lines)
    label = Label(carrier="Sandbox Post", cost=Money.of("6.00", "USD"), provider="sandbox")
    ret = a_return(order, shipments, ask(a, 2, "size_or_fit"), ask(b, 1, "changed_mind"), label=label)
    ret = receive_lines(
        ret,
        [
            LineReceipt(line_id=a, quantity=2, disposition="restock"),
            LineReceipt(line_id=b, quantity=1, disposition="damaged"),
        ],
        "wh-east",
    )
    due = refund_due(ret, order, POLICY, before_receipt=False)
    value_a, _ = line_value(order, order.lines[0])
    value_b, _ = line_value(order, order.lines[1])
    assert due.units == {a: 2, b: 1}
    assert due.paid == value_a + value_b
    assert due.fee == share(value_a, 10, 100)
    assert due.shipping == Money.of("6.00", "USD")
    assert (due.paid - due.kept).amount > 0
    # A label in another currency is never netted against a USD refund.
    euro = ret.model_copy(update={"label": label.model_copy(update={"cost": Money.of("6.00", "EUR")})})
    assert refund_due(euro, order, POLICY, before_receipt=False).shipping == Money.zero("USD")


def test_units_missing_from_the_parcel_or_refunded_already_are_not_refunded_again() -> None:
    order, shipments = delivered({"A": 2})
    (a,) = (x.line_id for x in order.lines)
    ret = a_return(order, shipments, ask(a, 2, "damaged"))
    ret = receive_lines(
        ret,
        [
            LineReceipt(line_id=a, quantity=1, disposition="restock"),
            LineReceipt(line_id=a, quantity=1, disposition="missing"),
        ],
        "wh-east",
    )
    assert ret.fully_counted
    assert refund_due(ret, order, POLICY, before_receipt=False).units == {a: 1}
    paid, _ = line_value(order, order.lines[0])
    already = _refund(order, [RefundLine(line_id=a, quantity=2, amount=paid, tax=Money.zero("USD"))])
    refunded = order.model_copy(update={"refunds": [already]})
    assert refund_due(ret, refunded, POLICY, before_receipt=True).units == {}


def test_receiving_never_counts_more_than_the_return_expects_and_restocks_at_one_place() -> None:
    order, shipments = delivered({"A": 2})
    (a,) = (x.line_id for x in order.lines)
    ret = a_return(order, shipments, ask(a, 2))
    once = receive_lines(ret, [LineReceipt(line_id=a, quantity=1, disposition="restock")], "wh-east")
    with pytest.raises(Conflict) as other_place:
        receive_lines(
            once, [LineReceipt(line_id=a, quantity=1, disposition="restock", location_id="wh-west")], None
        )
    assert other_place.value.code == "one_location_per_line"
    with pytest.raises(Conflict) as too_many:
        receive_lines(once, [LineReceipt(line_id=a, quantity=2, disposition="damaged")], None)
    assert too_many.value.code == "quantity_exceeds_returned"
    with pytest.raises(ValidationFailed) as nowhere:
        receive_lines(ret, [LineReceipt(line_id=a, quantity=1, disposition="restock")], None)
    assert nowhere.value.code == "location_required"


def test_an_exchange_is_priced_all_or_not_at_all_and_owes_only_what_is_worth_more() -> None:
    order, shipments = delivered({"A": 1})
    (a,) = (x.line_id for x in order.lines)
    paid, _ = line_value(order, order.lines[0])
    swap = a_return(order, shipments, ask(a), exchange=[ExchangeLine(sku="A-L", quantity=1)])
    assert exchange_owed(swap) == Money.zero("USD")
    dearer = swap.model_copy(
        update={"exchange": [ExchangeLine(sku="C", quantity=1, unit_price=paid + Money.of("5", "USD"))]}
    )
    assert exchange_owed(dearer) == Money.of("5", "USD")
    mixed = swap.model_copy(
        update={
            "exchange": [
                ExchangeLine(sku="C", quantity=1, unit_price=paid),
                ExchangeLine(sku="D", quantity=1),
            ]
        }
    )
    with pytest.raises(ValidationFailed) as half:
        check_exchange(mixed, "USD")
    assert half.value.code == "exchange_price_required"
    with pytest.raises(ValidationFailed) as currency:
        check_exchange(
            swap.model_copy(
                update={"exchange": [ExchangeLine(sku="C", quantity=1, unit_price=Money.of("1", "EUR"))]}
            ),
            "USD",
        )
    assert currency.value.code == "currency_mismatch"


def test_a_replacement_reserves_its_stock_and_is_worth_only_what_the_customer_pays() -> None:
    order, _ = delivered({"A": 1})
    lines = [
        ReplacementLine(sku="C", name="C", quantity=2, unit_price=Money.of("10.00", "USD")),
        ReplacementLine(sku="D", name="D", quantity=1, unit_price=Money.of("5.01", "USD")),
    ]
    owed = Money.of("3.33", "USD")
    change = replacement_change(order, "R1", lines, replaces="x-R1", owed=owed, wait_for=None, actor=actor())
    made = change.order
    assert made.totals.total == owed
    assert sum((line_value(made, x)[0] for x in made.lines), Money.zero("USD")) == owed
    assert [(m.sku, m.quantity, m.kind) for m in change.moves] == [
        ("C", 2, MoveKind.RESERVE),
        ("D", 1, MoveKind.RESERVE),
    ]
    assert made.status == OrderStatus.ON_HOLD  # the customer owes 3.33
    assert made.number == f"{order.number}-R1"
    assert made.replaces == "x-R1"
    paid = release_replacement(made, actor(minutes=5), still_waiting=None, paid=owed)
    assert paid is not None
    assert paid[0].status == OrderStatus.CONFIRMED
    assert [e.type for e in paid[1]] == ["OrderConfirmed"]
    free = replacement_change(
        order,
        "C1",
        lines,
        replaces="x-C1",
        owed=Money.zero("USD"),
        wait_for="return x-R1 to arrive",
        actor=actor(),
    )
    assert free.order.status == OrderStatus.ON_HOLD
    assert "return x-R1 to arrive" in ((free.order.hold.note or "") if free.order.hold else "")


def test_a_claim_never_covers_more_than_left_and_reships_only_what_holds_stock() -> None:
    order, shipments = delivered({"A": 2})
    (a,) = (x.line_id for x in order.lines)
    claim = plan_claim(
        order,
        shipments,
        ClaimAsk(lines=[ClaimLine(line_id=a, quantity=2)], type="missing_item", resolution="reship"),
        actor(),
    )
    assert claim.claim_id == f"{order.order_id}-C1"
    assert [(x.sku, x.quantity, x.unit_price.amount) for x in reshipment(order, claim)] == [
        ("A", 2, Decimal("0.00"))
    ]
    claimed = order.model_copy(update={"claims": [claim]})
    with pytest.raises(Conflict) as more:
        plan_claim(
            claimed,
            shipments,
            ClaimAsk(lines=[ClaimLine(line_id=a, quantity=1)], type="wrong_item", resolution="refund"),
            actor(),
        )
    assert more.value.code == "quantity_exceeds_shipped"


def test_a_return_parcel_moves_in_transit_at_its_first_scan_and_is_marked_arrived_once() -> None:
    order, shipments = delivered({"A": 1})
    ret = a_return(order, shipments, ask(order.lines[0].line_id)).model_copy(update={"status": R.APPROVED})
    scans = [
        TrackingEvent(status=ShipmentStatus.IN_TRANSIT, description="Picked up", at=NOW + timedelta(hours=1)),
        TrackingEvent(
            status=ShipmentStatus.IN_TRANSIT, description="In transit", at=NOW + timedelta(hours=2)
        ),
    ]
    moving, kinds = track(ret, scans, None, NOW + timedelta(hours=3), actor())
    assert (moving.status, kinds) == (R.IN_TRANSIT, ["ReturnInTransit"])
    again, kinds = track(moving, scans, None, NOW + timedelta(hours=9), actor())
    assert kinds == []
    assert again.tracking.next_check_at is not None
    arrived_scan = TrackingEvent(
        status=ShipmentStatus.DELIVERED, description="Delivered", at=NOW + timedelta(hours=20)
    )
    arrived, kinds = track(again, [*scans, arrived_scan], None, NOW + timedelta(hours=21), actor())
    assert kinds == ["ReturnArrived"]
    assert (arrived.arrived_at, arrived.tracking.next_check_at) == (arrived_scan.at, None)


def test_the_return_lifecycle_lets_nothing_leave_a_final_status() -> None:
    for final in (R.DECLINED, R.CANCELLED, R.CLOSED):
        assert TRANSITIONS[final] == frozenset()
    assert R.CANCELLED not in TRANSITIONS[R.RECEIVED]  # what came in cannot be cancelled
    assert TRANSITIONS[None] == frozenset({R.REQUESTED})


def test_the_returns_page_escapes_every_value_and_shows_no_personal_data() -> None:
    order, shipments = delivered({"A": 1})
    evil = order.model_copy(
        update={"lines": [order.lines[0].model_copy(update={"name": '<img src=x onerror="alert(1)">'})]}
    )
    view = returnable_view(
        "<b>Shop</b>", evil, ({evil.lines[0].line_id: 1}, set(), NOW + timedelta(days=30)), POLICY.reasons
    )
    page = render_returnable(view, Typed(order_number='"><script>', email="x@example.com"))
    assert "<img" not in page
    assert "<script>" not in page
    assert "<b>Shop</b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    for private in (
        order.customer.first_name,
        order.customer.last_name,
        (order.shipping_address or {}).__dict__.get("line1"),
    ):
        if private:
            assert private not in page
    ret = a_return(order, shipments, ask(order.lines[0].line_id))
    shown = render_return(return_view("Shop", ret, POLICY.reasons, "/returns/page/t.k"))
    assert "Size" in shown  # the reason's label, not its code


def _refund(order: Order, lines: list[RefundLine]):  # type: ignore[no-untyped-def]
    from oms.models import Refund, RefundStatus

    total = sum((x.amount for x in lines), Money.zero(order.currency))
    return Refund(
        refund_id="r1",
        status=RefundStatus.MANUAL,
        lines=lines,
        shipping=Money.zero(order.currency),
        extra=Money.zero(order.currency),
        total=total,
        reason="test",
        actor="staff",
        created_at=NOW,
        updated_at=NOW,
    )
