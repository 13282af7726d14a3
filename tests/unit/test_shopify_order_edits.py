"""Edits made on Shopify's order (oms.integrations.shopify_order_edits) and Shopify's later views of
the order taken back as ours (oms.order_edits.keep_staff_changes): pure, against recorded answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from oms.channel_push import plan_cancel_push
from oms.integrations.shopify_graphql import ChannelRefused, ShopifyAdmin
from oms.integrations.shopify_order_edits import push_edit
from oms.models import EditPush, Order, RefundStatus
from oms.order_edits import AddAsk, EditAsk, keep_staff_changes
from tests.replay import Replay
from tests.unit.builders import STORE, actor, shopify_payload, snapshot, store
from tests.unit.test_after_sale import ORDER, Desk, edit, line_id

URL = "https://unit-shop.myshopify.com/admin/api/2026-10/graphql.json"
CALC = "gid://shopify/CalculatedOrder/1001"


def exchange(variables: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "url": URL, "json": {"variables": variables}, "json_subset": True},
        "response": {"status": 200, "json": {"data": data}},
    }


def lines_answer(*lines: tuple[int, str, int]) -> dict[str, Any]:
    nodes = [{"id": f"gid://shopify/LineItem/{i}", "sku": s, "currentQuantity": q} for i, s, q in lines]
    return {"order": {"lineItems": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}}}


READ = {"id": "gid://shopify/Order/1001", "after": None}


@pytest.fixture
def desk() -> Desk:
    d = Desk()
    d.stock.count("A", wh_east=5)
    d.stock.count("B", wh_east=5)
    d.stores.stores[STORE] = store().model_copy(update={"api_connected": True})
    return d


def pushed_with(replay: Replay, order: Order) -> dict[str, Any]:
    (record,) = order.edits
    api = ShopifyAdmin(replay, shop_domain="unit-shop.myshopify.com", access_token="t")
    return push_edit(api, order=order, edit=record)


def test_a_lowered_quantity_is_set_on_shopify_once_and_a_repeat_finds_it_done(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 3}))
    a = line_id(desk, "A")
    order, record = edit(desk, EditAsk(change=[(a, 1)]))
    assert record.push == EditPush.PENDING
    replay = Replay(
        [
            exchange(READ, lines_answer((int(a), "A", 3))),
            exchange(
                {"id": "gid://shopify/Order/1001"},
                {"orderEditBegin": {"calculatedOrder": {"id": CALC}, "userErrors": []}},
            ),
            exchange(
                {"id": CALC, "lineItemId": f"gid://shopify/CalculatedLineItem/{a}", "quantity": 1},
                {
                    "orderEditSetQuantity": {
                        "calculatedLineItem": {"id": "x", "quantity": 1},
                        "userErrors": [],
                    }
                },
            ),
            exchange(
                {"id": CALC},
                {"orderEditCommit": {"order": {"id": "gid://shopify/Order/1001"}, "userErrors": []}},
            ),
            exchange(READ, lines_answer((int(a), "A", 1))),
        ]
    )
    assert pushed_with(replay, order) == {"status": "edited", "channel_lines": {}}
    assert replay.done()
    again = Replay([exchange(READ, lines_answer((int(a), "A", 1)))])
    assert pushed_with(again, order) == {"status": "already_edited", "channel_lines": {}}
    assert again.done()  # read only: nothing begun, nothing committed


def test_a_line_priced_above_shopifys_variant_is_refused_before_anything_is_committed(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}))
    order, _ = edit(desk, EditAsk(add=[AddAsk("A", 1, Decimal("250.00"))]))
    variant = order.lines[0].variant_id
    replay = Replay(
        [
            exchange(READ, lines_answer((int(order.lines[0].line_id), "A", 1))),
            exchange(
                {"id": "gid://shopify/Order/1001"},
                {"orderEditBegin": {"calculatedOrder": {"id": CALC}, "userErrors": []}},
            ),
            exchange(
                {"id": CALC, "variantId": f"gid://shopify/ProductVariant/{variant}", "quantity": 1},
                {
                    "orderEditAddVariant": {
                        "calculatedLineItem": {
                            "id": "gid://shopify/CalculatedLineItem/9",
                            "originalUnitPriceSet": {
                                "shopMoney": {"amount": "199.00", "currencyCode": "USD"}
                            },
                        },
                        "userErrors": [],
                    }
                },
            ),
        ]
    )
    with pytest.raises(ChannelRefused, match=r"cannot add it at 250\.00"):
        pushed_with(replay, order)
    assert replay.done()  # no commit was sent


def test_shopifys_copy_of_a_line_added_here_is_taken_as_ours_while_the_push_is_pending(desk: Desk) -> None:
    payload = shopify_payload(lines={"A": 1})
    desk.deliver(payload)
    order, record = edit(desk, EditAsk(add=[AddAsk("B", 2, Decimal("15.00"))]))
    (added,) = record.added
    echo = shopify_payload(lines={"A": 1, "B": 2}, updated_at="2026-06-01T11:00:00Z")
    seen = keep_staff_changes(snapshot(echo), order)
    assert [(ln.line_id, ln.channel_line_id, ln.open_quantity) for ln in seen.lines] == [
        (order.lines[0].line_id, None, 1),
        (added, "100101", 2),  # Shopify's line 100101 is our added line, not one more
    ]


def test_once_the_push_is_recorded_only_the_line_shopify_named_is_taken_as_ours(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}))
    order, record = edit(desk, EditAsk(add=[AddAsk("B", 2, Decimal("15.00"))]))
    (added,) = record.added
    answer = actor("channel-sync", 60)
    desk.after.record_edit_push(ORDER, record.edit_id, EditPush.PUSHED, "made", {added: "100102"}, answer)
    order = desk.order
    assert order.line(added).channel_line_id == "100102"
    assert order.channel_line(added) == "100102"
    # Shopify reports our line as 100102 and, say, staff there added another B (100101) by hand.
    echo = shopify_payload(lines={"A": 1, "B": 2, "C": 2}, updated_at="2026-06-01T11:00:00Z")
    echo["line_items"][1]["sku"], echo["line_items"][2]["sku"] = "B", "B"
    seen = keep_staff_changes(snapshot(echo), order)
    assert [(ln.line_id, ln.sku) for ln in seen.lines] == [
        (order.lines[0].line_id, "A"),
        ("100101", "B"),
        (added, "B"),
    ]
    version = order.version
    desk.after.record_edit_push(ORDER, record.edit_id, EditPush.PUSHED, "made", {added: "100102"}, answer)
    assert desk.order.version == version  # the same answer again changes nothing


def test_units_of_a_line_only_the_oms_has_are_not_sent_to_shopify_as_a_cancellation(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 1}))
    order, record = edit(desk, EditAsk(add=[AddAsk("B", 2, Decimal("15.00"))]))
    (added,) = record.added
    detail = {"cancellation_id": "c1", "lines": [{"line_id": added, "quantity": 1}], "reason": "customer"}
    connected = store().model_copy(update={"api_connected": True})
    plan = plan_cancel_push(connected, order, detail, {"access_token": "t"}, Replay([]))
    assert plan.skipped == "only lines added in the OMS, which the channel does not have"
    mapped = order.model_copy(
        update={
            "lines": [
                ln.model_copy(update={"channel_line_id": "777"}) if ln.line_id == added else ln
                for ln in order.lines
            ]
        }
    )
    (step,) = plan_cancel_push(connected, mapped, detail, {"access_token": "t"}, Replay([])).steps
    assert step.name == "shopify-cancel-units"
    assert step.run.keywords["units"] == {"777": 1}  # type: ignore[attr-defined]


def test_units_an_edit_refunded_are_left_to_the_refund_and_not_lowered_on_shopify_as_well(desk: Desk) -> None:
    desk.deliver(shopify_payload(lines={"A": 3}))
    a = line_id(desk, "A")
    order, record = edit(desk, EditAsk(change=[(a, 1)]), refund_owed=True)
    assert record.refund_id is not None
    (refund,) = order.refunds
    assert refund.status == RefundStatus.PENDING  # sent by its own push: refundCreate, CANCEL x2
    replay = Replay([exchange(READ, lines_answer((int(a), "A", 3)))])
    assert pushed_with(replay, order) == {"status": "already_edited", "channel_lines": {}}
    assert replay.done()  # read only: the refund cancels the two units there
