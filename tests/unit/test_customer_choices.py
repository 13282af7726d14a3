"""The customer's choice (oms.customer_choices, oms.choice_page, oms.services.choice_desk over
in-memory ports): signed links, what is offered, the rules of choosing, the page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms.channels.incoming import normalise
from oms.choice_page import render, view
from oms.customer_choices import (
    CUSTOMER_ACTOR,
    TIMEOUT_ACTOR,
    Choosing,
    check,
    due_for_default,
    offer_for,
    sign,
    verify,
    waiting_lines,
)
from oms.errors import Conflict, NotFound, ValidationFailed
from oms.models import ChoiceOption, Order, OrderSnapshot, StoreSettings, Substitute
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.services.after_sale import AfterSale
from oms.services.choice_desk import ChoiceDesk
from oms.services.intake_service import IntakeService
from tests.unit.builders import EAST, NOW, STORE, actor, shopify_payload, store
from tests.unit.memory import (
    MemoryLocations,
    MemoryQueue,
    MemoryShipments,
    MemoryStock,
    MemoryStores,
    MemoryVariants,
)

KEY = b"k" * 64
Opt = ChoiceOption


def test_a_signed_link_names_its_order_and_offer_and_any_change_to_it_is_refused() -> None:
    token = sign(KEY, "shop.1001", 2)
    assert verify(KEY, token) == ("shop.1001", 2)
    payload, mac = token.split(".")
    assert verify(b"other" * 8, token) is None
    assert verify(KEY, sign(KEY, "shop.1002", 2).split(".")[0] + "." + mac) is None  # another order
    assert verify(KEY, payload + "." + ("B" if mac[0] == "A" else "A") + mac[1:]) is None
    assert verify(KEY, "not-a-token") is None
    assert verify(KEY, token + "x") is None


class Shop:
    """An intake and the choice desk over in-memory ports, for a store offering choices."""

    def __init__(self, **settings: object) -> None:
        self.stock = MemoryStock()
        self.shipments = MemoryShipments(self.stock)
        self.stores = MemoryStores({STORE: store(customer_choice=True, **settings)})
        self.queue = MemoryQueue()
        locations = MemoryLocations([EAST])
        self.intake = IntakeService(self.shipments, self.stores, locations, self.stock, MemoryVariants())
        after_sale = AfterSale(self.shipments, self.stores, locations, self.queue)

        class Tokens:
            def read(self, token: str) -> tuple[str, int] | None:
                return verify(KEY, token)

        self.desk = ChoiceDesk(Tokens(), self.shipments, after_sale, self.stores, self.queue)

    def deliver(self, lines: dict[str, int]) -> Order:
        incoming = normalise(
            "shopify", "orders/create", shopify_payload(lines=lines), store_id=STORE, received_at=NOW
        )
        assert isinstance(incoming, OrderSnapshot)
        self.intake.record(incoming, actor(), expect_new=True)
        return self.order()

    def order(self) -> Order:
        return self.shipments.orders[f"{STORE}.1001"]

    def token(self) -> str:
        order = self.order()
        assert order.choice is not None
        return sign(KEY, order.order_id, order.choice.offer)


def test_an_order_held_for_stock_is_offered_to_wait_or_cancel_with_the_store_default_and_due_time() -> None:
    shop = Shop(default_choice="cancel", choice_timeout_hours=48)
    shop.stock.count("B", wh_east=0)
    order = shop.deliver({"B": 2})
    assert order.hold is not None
    assert order.hold.reason == HoldReason.OUT_OF_STOCK
    assert order.choice is not None
    assert (order.choice.offer, order.choice.options, order.choice.default) == (
        1,
        [Opt.WAIT, Opt.CANCEL],
        Opt.CANCEL,
    )
    assert order.choice.due - order.choice.offered_at == timedelta(hours=48)
    assert waiting_lines(order) == {"100100": 2}


def test_no_offer_without_the_store_setting_or_an_email_to_send_it_to() -> None:
    shop = Shop()
    shop.stock.count("B", wh_east=0)
    order = shop.deliver({"B": 1})
    assert offer_for(order, StoreSettings(), NOW) is None
    no_email = order.model_copy(update={"customer": order.customer.model_copy(update={"email": None})})
    assert offer_for(no_email, StoreSettings(customer_choice=True), NOW) is None


def test_a_substitute_is_offered_only_at_the_same_price_or_lower() -> None:
    shop = Shop()
    shop.stock.count("B", wh_east=0)
    order = shop.deliver({"B": 1})
    price = order.lines[0].unit_price.amount
    dearer = StoreSettings(
        customer_choice=True, substitutes={"B": [Substitute(sku="C", unit_price=price + 1)]}
    )
    assert Opt.SUBSTITUTE not in offer_for(order, dearer, NOW).options  # type: ignore[union-attr]
    fair = StoreSettings(
        customer_choice=True,
        substitutes={"B": [Substitute(sku="C", unit_price=price + 1), Substitute(sku="D", unit_price=price)]},
    )
    offer = offer_for(order, fair, NOW)
    assert offer is not None
    assert Opt.SUBSTITUTE in offer.options
    assert offer.substitutes["100100"].sku == "D"


def test_choosing_checks_the_offer_is_open_and_the_option_was_offered() -> None:
    shop = Shop()
    shop.stock.count("B", wh_east=0)
    order = shop.deliver({"B": 1})
    with pytest.raises(ValidationFailed) as refused:
        check(order, Choosing(1, Opt.SUBSTITUTE, CUSTOMER_ACTOR))
    assert refused.value.code == "choice_not_offered"
    with pytest.raises(Conflict):
        check(order, Choosing(2, Opt.WAIT, CUSTOMER_ACTOR))  # an offer this order never had
    assert check(order, Choosing(1, Opt.WAIT, CUSTOMER_ACTOR)) == order.choice


def test_waiting_is_recorded_once_and_stops_the_timeout_and_then_no_other_choice_is_taken() -> None:
    shop = Shop(default_choice="cancel")
    shop.stock.count("B", wh_east=0)
    shop.deliver({"B": 1})
    token = shop.token()
    page = shop.desk.choose(token, Opt.WAIT, NOW)
    assert page.offer.chosen == Opt.WAIT
    assert page.offer.chosen_by == CUSTOMER_ACTOR
    version = shop.order().version
    shop.desk.choose(token, Opt.WAIT, NOW)  # the same again: nothing changes
    assert shop.order().version == version
    with pytest.raises(Conflict):
        shop.desk.choose(token, Opt.CANCEL, NOW)
    assert due_for_default(shop.order(), NOW + timedelta(days=30)) is None
    assert shop.order().status == OrderStatus.ON_HOLD


def test_the_default_applies_only_after_the_due_time() -> None:
    shop = Shop(default_choice="cancel")
    shop.stock.count("B", wh_east=0)
    order = shop.deliver({"B": 1})
    assert order.choice is not None
    assert due_for_default(order, order.choice.due - timedelta(seconds=1)) is None
    assert due_for_default(order, order.choice.due) == Choosing(1, Opt.CANCEL, TIMEOUT_ACTOR)


def test_stock_arriving_withdraws_the_offer_and_the_link_then_offers_nothing() -> None:
    shop = Shop()
    shop.stock.count("B", wh_east=0)
    shop.deliver({"B": 1})
    token = shop.token()
    shop.stock.count("B", wh_east=3)
    incoming = normalise(
        "shopify",
        "orders/updated",
        shopify_payload(lines={"B": 1}, updated_at="2026-06-01T11:00:00Z"),
        store_id=STORE,
        received_at=NOW,
    )
    assert isinstance(incoming, OrderSnapshot)
    shop.intake.record(incoming, actor(minutes=30))
    order = shop.order()
    assert order.status == OrderStatus.CONFIRMED
    assert order.choice is not None
    assert not order.choice.open
    assert view(order, "Shop", order.choice, {}).closed
    with pytest.raises(Conflict) as closed:
        shop.desk.choose(token, Opt.CANCEL, NOW)
    assert closed.value.code == "choice_closed"


def test_a_link_that_does_not_verify_or_names_another_offer_is_not_found() -> None:
    shop = Shop()
    shop.stock.count("B", wh_east=0)
    shop.deliver({"B": 1})
    for token in (
        sign(b"x" * 64, f"{STORE}.1001", 1),
        sign(KEY, f"{STORE}.1001", 7),
        sign(KEY, f"{STORE}.9", 1),
    ):
        with pytest.raises(NotFound) as missing:
            shop.desk.page(token)
        assert (missing.value.code, missing.value.message) == ("choice_not_found", "this link is not valid")


def test_the_page_escapes_names_and_preselects_the_default() -> None:
    shop = Shop(default_choice="cancel")
    shop.stock.count("B", wh_east=0)
    order = shop.deliver({"B": 1})
    lines = [order.lines[0].model_copy(update={"name": "<b>bold</b> & co"})]
    order = order.model_copy(update={"lines": lines})
    assert order.choice is not None
    html = render(view(order, 'Shop "A"', order.choice, waiting_lines(order)))
    assert "<b>bold" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    assert "Shop &quot;A&quot;" in html
    assert 'value="cancel" checked' in html
    assert 'value="wait" checked' not in html
