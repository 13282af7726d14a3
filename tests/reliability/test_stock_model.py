"""A model-based test of stock (hypothesis stateful): random interleavings of reserve, release,
allocate, deallocate, ship (commit), a count, a staff cancel of units in a pending shipment (its
location's promise and the reservation given back), a refund that restocks shipped units (back on
hand at the location and the total, never more than shipped), a return counted in (units restocked
at any location, once, or written off as damaged: no stock moves), a store shipping what is available
(reserve what the total has, backorder the rest, fill it later) and a line staff added in an edit
made on Shopify coming back under Shopify's id (taken as ours, never reserved twice), against the
real conditional writes on DynamoDB (moto). After every step the stored levels equal the model's,
available is on hand minus reserved, and nothing is ever negative; a move the stock cannot cover
changes nothing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from moto import mock_aws

from oms.backorders import backorder_for
from oms.data.dynamo_table import Table, TransactionCancelled
from oms.data.stock_repository import StockRepository, delta_update, net
from oms.errors import Conflict
from oms.models import EditPush, Order, OrderEdit, Reservation, ShortLine
from oms.money import Money
from oms.order_changes import MoveKind, StockMove, new_order
from oms.order_edits import keep_staff_changes
from oms.order_lifecycle import OrderStatus
from oms.order_reconciliation import StockView, reconcile
from oms.return_lifecycle import ReturnStatus
from oms.returns import LineReceipt, Return, ReturnLine, receipt_moves, receive_lines
from oms.services.stock_desk import StockDesk
from tests.unit.builders import actor, shopify_payload, snapshot

pytestmark = pytest.mark.reliability
LOCATIONS = ("wh-a", "wh-b")
TABLE = "stock-model"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture(scope="module")
def table() -> Iterator[Table]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1"))
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
        )
        for location in LOCATIONS:
            ddb.put_item(TableName=TABLE, Item={"PK": {"S": f"LOCATION#{location}"}, "SK": {"S": "LOCATION"}})
        from oms.data import aws_clients as aws

        aws.client.cache_clear()  # clients of this mock
        yield Table(TABLE)
        aws.client.cache_clear()


def _one_line_order(sku: str, quantity: int) -> Order:
    order, _ = new_order(snapshot(shopify_payload(lines={sku: quantity})), actor())
    return order.model_copy(update={"lines": [order.lines[0].model_copy(update={"line_id": "L1"})]})


def _edited_order(sku: str, quantity: int, *, channel_line_id: str | None) -> Order:
    """A confirmed order of one line staff added in an edit being (or already) made on Shopify,
    its units reserved."""
    base = _one_line_order(sku, quantity)
    line = base.lines[0].model_copy(update={"line_id": "e1-1", "channel_line_id": channel_line_id})
    edit = OrderEdit(
        edit_id="e1",
        added=["e1-1"],
        difference=line.line_total,
        pushed="being made on Shopify as an order edit",
        push=EditPush.PUSHED if channel_line_id else EditPush.PENDING,
        actor="staff",
        at=NOW,
    )
    return base.model_copy(
        update={
            "status": OrderStatus.CONFIRMED,
            "lines": [line],
            "added_lines": [line],
            "edits": [edit],
            "reservation": Reservation(reserved={sku: quantity}),
        }
    )


def _a_return(sku: str, units: int) -> Return:
    order = _one_line_order(sku, units)
    line = ReturnLine(
        line_id="L1", sku=sku, name="Item", quantity=units, reason="damaged", unit_paid=Money.of("1", "USD")
    )
    return Return(
        return_id=f"{order.order_id}-R1",
        order_id=order.order_id,
        store_id=order.store_id,
        channel="shopify",
        number=order.number,
        status=ReturnStatus.APPROVED,
        lines=[line],
        created_at=NOW,
        updated_at=NOW,
    )


def test_stock_levels_follow_the_model_under_any_interleaving(table: Table) -> None:
    fired: list[str] = []  # the rules that can only run late (after something shipped) did run

    class StockMachine(RuleBasedStateMachine):
        @initialize()
        def fresh_sku(self) -> None:
            self.sku = f"MODEL-{uuid.uuid4().hex[:8]}"
            self.repo = StockRepository(table)
            self.desk = StockDesk(self.repo)
            self.total = {"on_hand": 0, "reserved": 0}
            self.at = {loc: {"on_hand": 0, "reserved": 0} for loc in LOCATIONS}
            self.known: set[str] = set()
            self.returnable = dict.fromkeys(LOCATIONS, 0)  # shipped from there, not yet restocked
            self.waiting = 0  # units backordered by ship_available, not reserved

        def _moves(self, *moves: StockMove) -> bool:
            try:
                table.transact([delta_update(d, NOW) for d in net(moves)])
            except TransactionCancelled:
                return False
            return True

        @rule(location=st.sampled_from(LOCATIONS), count=st.integers(0, 20))
        def restock(self, location: str, count: int) -> None:
            level = self.at[location]
            total_after = self.total["on_hand"] + count - level["on_hand"]
            ok = count >= level["reserved"] and total_after >= self.total["reserved"]
            if not ok:
                with pytest.raises(Conflict) as refused:
                    self.desk.count(self.sku, {location: count}, at=NOW, actor="model")
                assert refused.value.code == "on_hand_below_reserved"
                return
            self.desk.count(self.sku, {location: count}, at=NOW, actor="model")
            self.total["on_hand"] = total_after
            level["on_hand"] = count
            self.known.add(location)

        @rule(data=st.data())
        def reserve(self, data: st.DataObject) -> None:
            # Mostly what the stock can cover, sometimes a little more (refused).
            q = data.draw(st.integers(1, max(0, self.total["on_hand"] - self.total["reserved"]) + 2))
            ok = bool(self.known) and self.total["on_hand"] - self.total["reserved"] >= q
            assert self._moves(StockMove(self.sku, q, MoveKind.RESERVE)) == ok
            if ok:
                self.total["reserved"] += q

        @rule(q=st.integers(1, 8))
        def release(self, q: int) -> None:
            ok = bool(self.known) and self.total["reserved"] >= q
            assert self._moves(StockMove(self.sku, q, MoveKind.RELEASE)) == ok
            if ok:
                self.total["reserved"] -= q

        @rule(location=st.sampled_from(LOCATIONS), data=st.data())
        def allocate(self, location: str, data: st.DataObject) -> None:
            level = self.at[location]
            q = data.draw(st.integers(1, max(0, level["on_hand"] - level["reserved"]) + 2))
            ok = location in self.known and level["on_hand"] - level["reserved"] >= q
            assert self._moves(StockMove(self.sku, q, MoveKind.ALLOCATE, location)) == ok
            if ok:
                level["reserved"] += q

        @rule(location=st.sampled_from(LOCATIONS), q=st.integers(1, 8))
        def deallocate(self, location: str, q: int) -> None:
            level = self.at[location]
            ok = location in self.known and level["reserved"] >= q
            assert self._moves(StockMove(self.sku, q, MoveKind.DEALLOCATE, location)) == ok
            if ok:
                level["reserved"] -= q

        @rule(location=st.sampled_from(LOCATIONS), data=st.data())
        def ship(self, location: str, data: st.DataObject) -> None:
            """A shipment leaves: committed at its location and in the total, together or not at all."""
            level = self.at[location]
            q = data.draw(st.integers(1, max(0, min(level["reserved"], self.total["reserved"])) + 2))
            ok = (
                location in self.known
                and level["reserved"] >= q
                and level["on_hand"] >= q
                and self.total["reserved"] >= q
                and self.total["on_hand"] >= q
            )
            moves = (
                StockMove(self.sku, q, MoveKind.COMMIT, location),
                StockMove(self.sku, q, MoveKind.COMMIT),
            )
            assert self._moves(*moves) == ok
            if ok:
                for counts in (level, self.total):
                    counts["on_hand"] -= q
                    counts["reserved"] -= q
                self.returnable[location] += q
                fired.append("ship")

        @rule(location=st.sampled_from(LOCATIONS), q=st.integers(1, 8))
        def cancel_units(self, location: str, q: int) -> None:
            """Staff cancel units a pending shipment at ``location`` carries (oms.cancellation):
            the location's promise and the SKU's reservation are given back together."""
            level = self.at[location]
            ok = location in self.known and level["reserved"] >= q and self.total["reserved"] >= q
            moves = (
                StockMove(self.sku, q, MoveKind.DEALLOCATE, location),
                StockMove(self.sku, q, MoveKind.RELEASE),
            )
            assert self._moves(*moves) == ok
            if ok:
                level["reserved"] -= q
                self.total["reserved"] -= q

        @rule(location=st.sampled_from(LOCATIONS), q=st.integers(1, 8))
        def refund_restock(self, location: str, q: int) -> None:
            """A refund restocks shipped units where they left (oms.refunds): on hand and
            available up at the location and the total, once; more than shipped is refused by
            the refund's rules before any stock moves."""
            if q > self.returnable[location]:
                return
            moves = (
                StockMove(self.sku, q, MoveKind.RESTOCK),
                StockMove(self.sku, q, MoveKind.RESTOCK, location),
            )
            assert self._moves(*moves)
            self.returnable[location] -= q
            self.at[location]["on_hand"] += q
            self.total["on_hand"] += q

        @precondition(lambda self: any(self.returnable.values()) and bool(self.known))
        @rule(data=st.data())
        def return_counted_in(self, data: st.DataObject) -> None:
            """A return of units that left a location is counted in (oms.returns): some restocked
            at any location (on hand there and in the total), some damaged (written off: no stock
            moves); counting the same units again moves nothing more."""
            shipped_from = data.draw(st.sampled_from([k for k, v in self.returnable.items() if v]))
            restock_at = data.draw(st.sampled_from(sorted(self.known)))
            units = data.draw(st.integers(1, self.returnable[shipped_from]))
            restocked = data.draw(st.integers(0, units))
            damaged = units - restocked
            ret = _a_return(self.sku, units)
            receipts = [
                LineReceipt(line_id="L1", quantity=n, disposition=kind)
                for n, kind in ((restocked, "restock"), (damaged, "damaged"))
                if n
            ]
            counted = receive_lines(ret, receipts, restock_at)
            stock = receipt_moves(ret, counted)
            if stock.moves:
                assert self._moves(*stock.moves)
            assert receipt_moves(counted, counted).moves == []  # the same count again: nothing
            assert stock.freed == ([self.sku] if restocked else [])
            self.returnable[shipped_from] -= units
            self.at[restock_at]["on_hand"] += restocked
            self.total["on_hand"] += restocked
            fired.append("return")

        @rule(q=st.integers(1, 8))
        def ship_available(self, q: int) -> None:
            """An order of a store that ships what is available (oms.backorders): it asks for all
            ``q``; refused, it reserves what the total had left and backorders the rest, which a
            later arrival fills (the same two steps again for the units still waiting)."""
            if not self.known:
                return
            wanted = q + self.waiting
            if self._moves(StockMove(self.sku, wanted, MoveKind.RESERVE)):
                self.total["reserved"] += wanted
                self.waiting = 0
                return
            total, _ = self.repo.levels(self.sku)
            order = _one_line_order(self.sku, wanted)
            waiting = backorder_for(
                order, [], [ShortLine(sku=self.sku, requested=wanted, available=total.available)]
            )
            assert waiting is not None
            backordered = waiting.get("L1", 0)
            assert 0 < backordered <= wanted
            assert backordered == wanted - total.available
            taken = wanted - backordered
            if taken:
                assert self._moves(StockMove(self.sku, taken, MoveKind.RESERVE))
            self.total["reserved"] += taken
            self.waiting = backordered

        @rule(q=st.integers(1, 8), recorded=st.booleans())
        def edit_pushed_and_echoed(self, q: int, recorded: bool) -> None:
            """Staff add ``q`` units in an edit made on Shopify (oms.order_edits); Shopify's next
            view of the order has the line under its own id, before or after the push recorded
            that id: it is taken as ours, so nothing more is reserved (or released)."""
            if not self.known or not self._moves(StockMove(self.sku, q, MoveKind.RESERVE)):
                return
            self.total["reserved"] += q
            order = _edited_order(self.sku, q, channel_line_id="100100" if recorded else None)
            echo = keep_staff_changes(snapshot(shopify_payload(lines={self.sku: q})), order)
            seen = order.model_copy(update={"lines": echo.lines})
            rec = reconcile(seen, [], wants_stock=True, take_stock=True, view=StockView(), actor=actor())
            assert [line.line_id for line in rec.order.lines] == ["e1-1"]
            assert rec.moves == []

        @invariant()
        def stored_levels_equal_the_model(self) -> None:
            if not self.known:
                return
            total, locations = self.repo.levels(self.sku)
            assert (total.on_hand, total.reserved) == (self.total["on_hand"], self.total["reserved"])
            assert total.available == total.on_hand - total.reserved >= 0
            for stored in locations:
                model = self.at[str(stored.location)]
                assert (stored.on_hand, stored.reserved) == (model["on_hand"], model["reserved"])
                assert stored.available == stored.on_hand - stored.reserved >= 0
                assert stored.reserved >= 0

    StockMachine.TestCase.settings = settings(
        max_examples=25,
        derandomize=True,  # the same interleavings on every CI run
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    StockMachine.TestCase().runTest()
    assert {"ship", "return"} <= set(fired)
