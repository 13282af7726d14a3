"""Cancelling and refunding orders (oms.cancellation, oms.refunds, oms.services.after_sale) over the
in-memory ports: exact amounts, never more than was captured, stock released or restocked once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oms.channels.incoming import normalise
from oms.errors import Conflict, ValidationFailed
from oms.integrations.http_transport import retry_after
from oms.models import Address, CancelReason, OrderSnapshot, Refund, RefundStatus
from oms.money import Money
from oms.notifications import Email, plan
from oms.order_edits import AddAsk, EditAsk
from oms.order_lifecycle import OrderStatus
from oms.refunds import LineAsk, RefundAsk, line_value, share
from oms.services.after_sale import AfterSale
from oms_local.samples import fixture
from tests.unit.builders import STORE, actor, shopify_payload, store
from tests.unit.test_services import World

S = OrderStatus
ORDER = f"{STORE}.1001"


class Desk(World):
    def __init__(self) -> None:
        super().__init__()
        self.after = AfterSale(self.shipments, self.stores, self.locations)

    def report(self, payload: dict[str, object], minute: int, topic: str) -> str:
        """A channel delivery that is not the order itself (refunds/create)."""
        incoming = normalise("shopify", topic, payload, store_id=STORE, received_at=actor().at)
        return self.intake.record(incoming, actor(minutes=minute), expect_new=False).outcome

    @property
    def order(self):  # type: ignore[no-untyped-def]
        return self.shipments.orders[ORDER]

    def cancel(
        self, lines: list[tuple[str, int | None]] | None = None, *, refund: bool = False, minute: int = 10
    ):  # type: ignore[no-untyped-def]
        return self.after.cancel(
            ORDER,
            reason=CancelReason.CUSTOMER.value,
            lines=lines,
            refund=refund,
            note=None,
            notify_customer=True,
            actor=actor("staff:ada", minute),
        )

    def refund(self, *lines: LineAsk, shipping=None, amount=None, refund_id=None, minute: int = 20):  # type: ignore[no-untyped-def]
        ask = RefundAsk(lines=list(lines), shipping=shipping, amount=amount, reason="damaged")
        return self.after.refund(ORDER, ask, actor=actor("staff:ada", minute), refund_id=refund_id)


@pytest.fixture
def desk() -> Desk:
    d = Desk()
    d.stock.count("A", wh_east=5)
    d.stock.count("B", wh_east=5)
    return d


def line_id(desk: Desk, sku: str) -> str:
    return next(line.line_id for line in desk.order.lines if line.sku == sku)


def test_cancelling_a_whole_allocated_order_releases_its_stock_and_cancels_its_shipment(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2, "B": 1}))
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    assert desk.stock.level("A", "wh-east") == (5, 2, 3)
    done = desk.cancel()
    assert done.order.status == S.CANCELLED
    assert sum(done.units.values()) == 3
    assert desk.stock.level("A") == (5, 0, 5)
    assert desk.stock.level("A", "wh-east") == (5, 0, 5)
    assert desk.shipments.shipments[shipment.shipment_id].status == "cancelled"
    assert desk.order.reservation.reserved == {}
    assert "OrderLinesCancelled" in desk.shipments.kinds(ORDER)
    assert desk.order.timeline[-1].actor == "staff:ada"
    again = desk.cancel(minute=11)
    assert again.units == {}
    assert desk.order.version == done.order.version  # a no-op


def test_cancelling_one_unit_of_a_line_shrinks_its_pending_shipment_and_releases_one_unit(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 3}))
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    a = line_id(desk, "A")
    desk.cancel([(a, 1)])
    assert desk.order.status == S.FULFILLING
    assert desk.order.line(a).open_quantity == 2
    assert desk.order.cancelled_quantities == {a: 1}
    assert desk.shipments.shipments[shipment.shipment_id].quantity_of(a) == 2
    assert desk.stock.level("A") == (5, 2, 3)
    assert desk.stock.level("A", "wh-east") == (5, 2, 3)


def test_what_has_shipped_or_is_packed_cannot_be_cancelled_and_nothing_changes(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}))
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    desk.shipping.pack(shipment.shipment_id, actor(minutes=2))
    version = desk.order.version
    with pytest.raises(Conflict) as packed:
        desk.cancel()
    assert packed.value.code == "shipment_packed"
    desk.shipping.ship(shipment.shipment_id, actor(minutes=3))
    with pytest.raises(Conflict) as shipped:
        desk.cancel()
    assert shipped.value.code == "order_already_shipped"
    assert desk.order.version == version + 1  # only the shipping moved it
    assert desk.stock.level("A") == (4, 0, 4)


def test_cancelling_more_than_has_not_shipped_or_an_unknown_line_is_refused(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2}))
    a = line_id(desk, "A")
    with pytest.raises(Conflict) as over:
        desk.cancel([(a, 3)])
    assert over.value.code == "quantity_exceeds_unshipped"
    with pytest.raises(ValidationFailed) as unknown:
        desk.cancel([("nope", 1)])
    assert (unknown.value.code, unknown.value.details[0]["field"]) == ("unknown_line", "lines[0].line_id")


def test_a_channel_update_after_a_staff_cancel_keeps_the_units_cancelled(desk: Desk) -> None:
    payload = shopify_payload(lines={"A": 3})
    desk.deliver(payload)
    a = line_id(desk, "A")
    desk.cancel([(a, 2)])
    assert desk.stock.level("A") == (5, 1, 4)
    outcome = desk.deliver(
        payload | {"updated_at": "2026-06-01T11:00:00Z", "note": "gift"}, 30, "orders/updated"
    )
    assert outcome == "updated"
    assert desk.order.line(a).open_quantity == 1
    assert desk.stock.level("A") == (5, 1, 4)


def test_a_refund_gives_back_what_the_line_was_paid_and_never_more_than_was_captured(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2}))  # total_price 409.94 as the channel reported it
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    desk.shipping.ship(shipment.shipment_id, actor(minutes=2))
    a = line_id(desk, "A")
    refund = desk.refund(LineAsk(a, 1))
    assert refund.status == RefundStatus.MANUAL  # the store has no API credentials
    assert refund.total == Money.of("199.00", "USD")
    assert desk.order.status == S.PARTIALLY_REFUNDED
    with pytest.raises(Conflict) as over:
        desk.refund(LineAsk(a, 1), amount=Decimal("100.00"), minute=21)
    assert over.value.code == "refund_exceeds_captured"
    with pytest.raises(Conflict) as units:
        desk.refund(LineAsk(a, 2), minute=22)
    assert units.value.code == "quantity_exceeds_refundable"
    last = desk.refund(LineAsk(a, 1), amount=Decimal("11.94"), minute=23)
    assert last.total == Money.of("210.94", "USD")
    assert desk.order.status == S.REFUNDED
    assert desk.order.payment_status == "refunded"


def test_restocking_puts_shipped_units_back_on_hand_where_they_left_once(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2}))
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    desk.shipping.ship(shipment.shipment_id, actor(minutes=2))
    assert desk.stock.level("A", "wh-east") == (3, 0, 3)
    a = line_id(desk, "A")
    refund = desk.refund(LineAsk(a, 1, restock=True), refund_id="r-1")
    assert (refund.lines[0].restocked, refund.lines[0].location_id) == (1, "wh-east")
    assert desk.stock.level("A", "wh-east") == (4, 0, 4)
    assert desk.stock.level("A") == (4, 0, 4)
    same = desk.refund(LineAsk(a, 1, restock=True), refund_id="r-1", minute=21)
    assert same == refund
    assert desk.stock.level("A") == (4, 0, 4)  # the same refund id: nothing again


def test_refunding_units_that_have_not_shipped_cancels_them_and_releases_their_stock(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2, "B": 1}))
    desk.allocation.allocate(ORDER, actor(minutes=1))
    b = line_id(desk, "B")
    refund = desk.refund(LineAsk(b, 1))
    assert (refund.lines[0].cancelled, refund.lines[0].shipped) == (1, 0)
    assert desk.stock.level("B") == (5, 0, 5)
    assert desk.order.line(b).open_quantity == 0
    assert desk.order.status == S.PARTIALLY_REFUNDED


def test_cancel_with_refund_refunds_the_lines_and_shipping_and_ends_refunded(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}, total_price="199.00"))
    done = desk.cancel(refund=True)
    assert done.refund is not None
    assert done.refund.total == Money.of("199.00", "USD")
    assert [e.to_status for e in desk.order.timeline[-2:]] == [S.CANCELLED, S.REFUNDED]
    assert desk.stock.level("A") == (5, 0, 5)


def test_a_store_with_api_credentials_sends_the_refund_and_it_counts_while_pending(desk: Desk) -> None:
    desk.stores.stores[STORE] = store().model_copy(update={"api_connected": True})
    desk.deliver(shopify_payload(lines={"A": 2}))
    a = line_id(desk, "A")
    refund = desk.refund(LineAsk(a, 2), refund_id="r-9")
    assert refund.status == RefundStatus.PENDING
    assert desk.order.status != S.REFUNDED  # the money has not moved yet
    with pytest.raises(Conflict):
        desk.refund(amount=Decimal("20.00"), minute=21)  # 398 pending + 20 > 409.94
    desk.after.record_outcome(ORDER, "r-9", RefundStatus.FAILED, actor("channel", 30), message="declined")
    assert desk.order.refunds[0].status == RefundStatus.FAILED
    desk.refund(amount=Decimal("20.00"), minute=31)  # the failed one moved no money


def test_line_values_are_exact_for_discounts_taxes_included_and_zero_decimal_currencies(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 3}))
    order = desk.order
    line = order.lines[0].model_copy(
        update={
            "line_total": Money.of("1000", "JPY"),
            "unit_price": Money.of("333", "JPY"),
            "discount": Money.of("100", "JPY"),
            "tax": Money.of("90", "JPY"),
        }
    )
    jpy = order.model_copy(update={"currency": "JPY", "lines": [line]})
    value, tax = line_value(jpy, line)
    assert (value, tax) == (Money.of("990", "JPY"), Money.of("90", "JPY"))
    parts = [share(value, n + 1, 3) - share(value, n, 3) for n in range(3)]
    assert [p.amount for p in parts] == [Decimal(330), Decimal(330), Decimal(330)]
    inclusive, _ = line_value(jpy.model_copy(update={"taxes_included": True}), line)
    assert inclusive == Money.of("900", "JPY")
    thirds = [
        share(Money.of("10.00", "USD"), n + 1, 3) - share(Money.of("10.00", "USD"), n, 3) for n in range(3)
    ]
    assert [t.amount for t in thirds] == [Decimal("3.33"), Decimal("3.34"), Decimal("3.33")]
    assert sum(t.amount for t in thirds) == Decimal("10.00")


def events_of(desk: Desk, kind: str) -> list[dict[str, object]]:
    return [
        {"detail-type": e.type, "detail": e.detail}
        for e in desk.shipments.events
        if e.type == kind and e.detail.get("order_id") == ORDER
    ]


def test_the_customer_is_told_of_a_refund_once_its_money_has_left(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2}))
    a = line_id(desk, "A")
    desk.refund(LineAsk(a, 1))  # manual: the money left by hand
    (created,) = events_of(desk, "RefundCreated")
    (email,) = plan(created, desk.order, store(), email_enabled=True)
    assert isinstance(email, Email)
    assert "199.00 USD" in email.text
    desk.stores.stores[STORE] = store().model_copy(update={"api_connected": True})
    desk.refund(LineAsk(a, 1), refund_id="r-2", minute=21)
    pending = events_of(desk, "RefundCreated")[-1]
    assert plan(pending, desk.order, store(), email_enabled=True) == []  # not until the channel confirms
    desk.after.record_outcome(ORDER, "r-2", RefundStatus.SUCCEEDED, actor("channel", 30))
    (succeeded,) = events_of(desk, "RefundSucceeded")
    assert len(plan(succeeded, desk.order, store(), email_enabled=True)) == 1


def test_cancelled_units_are_listed_to_the_customer_and_a_quiet_cancel_sends_nothing(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 3}))
    a = line_id(desk, "A")
    desk.cancel([(a, 1)])
    (cancelled,) = events_of(desk, "OrderLinesCancelled")
    (email,) = plan(cancelled, desk.order, store(), email_enabled=True)
    assert isinstance(email, Email)
    assert "1 x Item A" in email.text
    quiet = desk.after.cancel(
        ORDER,
        reason="fraud",
        lines=None,
        refund=False,
        note=None,
        notify_customer=False,
        actor=actor("staff:ada", 40),
    )
    assert quiet.order.status == S.CANCELLED
    for kind in ("OrderCancelled", "OrderLinesCancelled"):
        assert plan(events_of(desk, kind)[-1], desk.order, store(), email_enabled=True) == []


def edit(desk: Desk, ask: EditAsk, *, refund_owed: bool = False, minute: int = 50):  # type: ignore[no-untyped-def]
    return desk.after.edit(ORDER, ask, refund_owed=refund_owed, actor=actor("staff:ada", minute))


def test_an_edit_adds_a_line_and_lowers_another_reserving_and_releasing_in_one_change(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 3}))
    desk.allocation.allocate(ORDER, actor(minutes=1))
    a = line_id(desk, "A")
    commits = desk.shipments.commits
    order, record = edit(desk, EditAsk(add=[AddAsk("B", 2, Decimal("15.00"))], change=[(a, 1)]))
    assert desk.shipments.commits == commits + 1
    assert desk.order.line(a).open_quantity == 1
    (added,) = record.added
    assert (desk.order.line(added).sku, desk.order.line(added).open_quantity) == ("B", 2)
    assert record.difference == Money.of("-368.00", "USD")  # +2 x 15.00, -2 x 199.00
    assert desk.stock.level("A") == (5, 1, 4)
    assert desk.stock.level("B") == (5, 2, 3)
    assert "OrderUpdated" in desk.shipments.kinds(ORDER)  # the fulfilment step allocates what is new
    assert order.status == S.FULFILLING


def test_an_edit_short_of_stock_changes_nothing(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}))
    version = desk.order.version
    with pytest.raises(Conflict) as short:
        edit(desk, EditAsk(add=[AddAsk("B", 9, Decimal("1.00"))]))
    assert short.value.code == "insufficient_stock"
    assert desk.order.version == version
    assert desk.stock.level("B") == (5, 0, 5)


def test_packed_lines_and_shipped_orders_cannot_be_edited(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}))
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    desk.shipping.pack(shipment.shipment_id, actor(minutes=2))
    with pytest.raises(Conflict) as packed:
        edit(desk, EditAsk(change=[(line_id(desk, "A"), 0)]))
    assert packed.value.code == "line_packed"
    desk.shipping.ship(shipment.shipment_id, actor(minutes=3))
    with pytest.raises(Conflict) as shipped:
        edit(desk, EditAsk(add=[AddAsk("B", 1)]))
    assert shipped.value.code == "order_not_editable"


def test_an_edit_owed_to_the_customer_is_refunded_when_staff_ask(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 2}))
    _, record = edit(desk, EditAsk(change=[(line_id(desk, "A"), 1)]), refund_owed=True)
    assert record.refund_id is not None
    (refund,) = desk.order.refunds
    assert refund.total == Money.of("199.00", "USD")
    assert desk.stock.level("A") == (5, 1, 4)


def test_a_new_address_goes_to_pending_shipments_and_survives_the_channels_next_update(desk: Desk) -> None:
    payload = shopify_payload(lines={"A": 1})
    desk.deliver(payload)
    (shipment,) = desk.allocation.allocate(ORDER, actor(minutes=1))
    new = Address(name="Ada", line1="2 New St", city="Reno", country_code="US")
    edit(desk, EditAsk(shipping_address=new, add=[AddAsk("B", 1, Decimal("5.00"))]))
    assert desk.shipments.shipments[shipment.shipment_id].ship_to == new
    desk.deliver(payload | {"updated_at": "2026-06-01T11:00:00Z", "note": "x"}, 60, "orders/updated")
    assert desk.order.shipping_address == new
    assert [line.sku for line in desk.order.lines] == ["A", "B"]
    assert desk.stock.level("B") == (5, 1, 4)


def test_a_refund_made_in_shopifys_admin_is_recorded_once_with_its_units_restocked(desk: Desk) -> None:
    for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"):
        desk.stock.count(sku, wh_east=5)
    order_id = f"{STORE}.450789469"
    desk.deliver(shopify_payload(450789469))
    (shipment,) = desk.allocation.allocate(order_id, actor(minutes=1))
    desk.shipping.ship(shipment.shipment_id, actor(minutes=2))
    assert desk.stock.level("IPOD2008BLACK", "wh-east") == (4, 0, 4)
    made = fixture("shopify/refunds-create.json")  # 209.00 back; two lines, restock: true
    for minute in (3, 4):  # Shopify delivers it twice
        desk.report(made, minute, "refunds/create")
    (refund,) = desk.shipments.orders[order_id].refunds
    assert (refund.status, refund.total, refund.channel_refund_id) == (
        RefundStatus.CHANNEL,
        Money.of("209.00", "USD"),
        "509562969",
    )
    assert sorted((ln.line_id, ln.restocked) for ln in refund.lines) == [("466157049", 1), ("703073504", 1)]
    assert desk.stock.level("IPOD2008BLACK", "wh-east") == (5, 0, 5)
    assert desk.stock.level("IPOD2008GREEN") == (5, 0, 5)


@pytest.mark.parametrize("ours_id", ["r-77", "k" * 64 + "-refund"])  # a cancel's refund: its key + "-refund"
def test_a_refund_of_ours_coming_back_from_the_channel_is_not_recorded_again(
    desk: Desk, ours_id: str
) -> None:
    for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"):
        desk.stock.count(sku, wh_east=5)
    order_id = f"{STORE}.450789469"
    desk.deliver(shopify_payload(450789469))
    ours = fixture("shopify/refunds-create.json") | {
        "note": f"damaged [oms {ours_id}]",
        "refund_line_items": [],
    }
    desk.shipments.orders[order_id] = desk.shipments.orders[order_id].model_copy(
        update={"refunds": [Refund.model_validate(_pending(ours_id))]}
    )
    desk.report(ours, 3, "refunds/create")
    assert [r.refund_id for r in desk.shipments.orders[order_id].refunds] == [ours_id]


def _pending(refund_id: str) -> dict[str, object]:
    money = {"amount": "209.00", "currency": "USD"}
    return {
        "refund_id": refund_id,
        "status": "pending",
        "shipping": {"amount": "0.00", "currency": "USD"},
        "extra": money,
        "total": money,
        "reason": "damaged",
        "actor": "staff:ada",
        "created_at": "2026-06-01T12:00:00Z",
        "updated_at": "2026-06-01T12:00:00Z",
    }


def test_woocommerce_refunds_in_an_order_payload_are_read_with_their_totals() -> None:
    payload = fixture("woocommerce/order.json") | {"refunds": [{"id": 726, "reason": "", "total": "-10.00"}]}
    snap = normalise("woocommerce", "order.updated", payload, store_id="woo-shop", received_at=actor().at)
    assert isinstance(snap, OrderSnapshot)
    assert [(r.refund_id, r.total) for r in snap.channel_refunds] == [("726", Money.of("10.00", "USD"))]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ({"Retry-After": "120"}, 120),
        ({"retry-after": "Wed, 02 Dec 2026 06:02:00 GMT"}, 120),
        ({"Retry-After": "999999"}, 12 * 3600),  # a queue holds a message 12 hours at most
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date_and_capped(
    header: dict[str, str], seconds: int | None
) -> None:
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert retry_after(header, now) == seconds
