"""The customer's choice page and the store's default at the timeout (oms.customer_choices): a
signed token names the order and its offer; the choice runs through the staff operations
(cancel with refund, edit), recorded in the same change as the operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from oms.cancellation import line_states
from oms.customer_choices import CUSTOMER_ACTOR, Choosing, due_for_default, substitute_price, waiting_lines
from oms.errors import Conflict, NotFound, OmsError
from oms.models import ChoiceOption, CustomerChoice, Order, Store
from oms.observability import logger
from oms.order_changes import Actor, retry_for
from oms.order_edits import AddAsk, EditAsk
from oms.order_lifecycle import OrderStatus
from oms.ports import IntakeQueue, Shipments, Stores
from oms.services.after_sale import AfterSale
from oms.shipments import Shipment


class Tokens(Protocol):
    def read(self, token: str) -> tuple[str, int] | None: ...


class DueChoices(Protocol):
    def choices_due(self, now: datetime) -> list[str]: ...


@dataclass
class ChoicePage:
    """What the page shows: the order's number, what waits and what ships, the offer."""

    order: Order
    store: Store | None
    offer: CustomerChoice
    waiting: dict[str, int]  # line -> units waiting for stock


@dataclass
class Expired:
    applied: list[str] = field(default_factory=list)
    failed: int = 0


NOT_FOUND = "this link is not valid"  # the same words for a guess, a tampered link and an old one


class ChoiceDesk:
    def __init__(
        self, tokens: Tokens, shipments: Shipments, after_sale: AfterSale, stores: Stores, intake: IntakeQueue
    ) -> None:
        self.tokens, self.shipments, self.after_sale = tokens, shipments, after_sale
        self.stores, self.intake = stores, intake

    def _order(self, order_id: str) -> tuple[Order, list[Shipment]]:
        order, shipments = self.shipments.order_with_shipments(order_id)
        if order is None:
            raise NotFound(NOT_FOUND, code="choice_not_found")
        return order, shipments

    def page(self, token: str) -> ChoicePage:
        named = self.tokens.read(token)
        if named is None:
            raise NotFound(NOT_FOUND, code="choice_not_found")
        order_id, offer = named
        order, _ = self._order(order_id)
        if order.choice is None or order.choice.offer != offer:
            raise NotFound(NOT_FOUND, code="choice_not_found")
        return ChoicePage(order, self.stores.find(order.store_id), order.choice, waiting_lines(order))

    def choose(self, token: str, option: ChoiceOption, now: datetime) -> ChoicePage:
        page = self.page(token)
        choosing = Choosing(offer=page.offer.offer, option=option, by=CUSTOMER_ACTOR)
        self.apply(page.order, choosing, Actor(CUSTOMER_ACTOR, f"choice:{page.order.order_id}", now))
        return self.page(token)

    def expire(self, orders: DueChoices, now: datetime) -> Expired:
        """The store's default for every offer past due (the schedule)."""
        expired = Expired()
        for order_id in orders.choices_due(now):
            try:
                order, _ = self._order(order_id)
                choosing = due_for_default(order, now)
                if choosing is None:
                    continue
                self.apply(order, choosing, Actor(choosing.by, f"choice-timeout:{order_id}", now))
            except OmsError as error:  # not possible now (shipped, out of stock): left as it is
                expired.failed += 1
                logger.warning(
                    "default choice not applied", extra={"order_id": order_id, "error": error.code}
                )
                continue
            expired.applied.append(order_id)
        return expired

    def apply(self, order: Order, choosing: Choosing, actor: Actor) -> None:
        """Carry out the choice on the order as it was read (the operation checks the offer again
        on the order it commits over)."""
        key = f"choice-{order.choice.offer if order.choice else 0}"
        waiting = waiting_lines(order)
        if choosing.option == ChoiceOption.WAIT:
            self.after_sale.choose(order.order_id, choosing, actor)
            return
        if choosing.option == ChoiceOption.SUBSTITUTE:
            self._substitute(order, waiting, choosing, actor, key)  # the edit decides a held order again
            return
        lines: list[tuple[str, int | None]] | None
        if choosing.option == ChoiceOption.SHIP_AVAILABLE:  # the waiting units, refunded
            reason, lines = "inventory", [(line_id, units) for line_id, units in sorted(waiting.items())]
        else:  # all that has not shipped (the whole order when nothing has), refunded
            _, shipments = self._order(order.order_id)
            states = line_states(order, shipments)
            shipped = any(s.shipped for s in states.values())
            reason, lines = (
                "customer",
                [(k, None) for k, s in states.items() if s.unsent] if shipped else None,
            )
        self.after_sale.cancel(
            order.order_id,
            reason=reason,
            lines=lines,
            refund=True,
            note=None,
            notify_customer=True,
            actor=actor,
            cancellation_id=key,
            choice=choosing,
        )
        self._decide_again(order, actor)

    def _substitute(
        self, order: Order, waiting: dict[str, int], choosing: Choosing, actor: Actor, key: str
    ) -> None:
        assert order.choice is not None
        subs = order.choice.substitutes
        ask = EditAsk(
            add=[
                AddAsk(subs[k].sku, n, substitute_price(order, k, subs[k]), subs[k].name)
                for k, n in sorted(waiting.items())
            ],
            change=[
                (k, line.open_quantity - n) for k, n in sorted(waiting.items()) if (line := order.line(k))
            ],
        )
        try:
            self.after_sale.edit(
                order.order_id, ask, refund_owed=True, actor=actor, edit_id=key, choice=choosing
            )
        except Conflict as short:
            if short.code != "insufficient_stock":
                raise
            raise Conflict(
                "the substitute is out of stock too: choose again", code="substitute_unavailable"
            ) from short

    def _decide_again(self, order: Order, actor: Actor) -> None:
        """An order held for stock is decided again after the choice (it may ship now)."""
        if order.status != OrderStatus.ON_HOLD:
            return
        offer = order.choice.offer if order.choice else 0
        self.intake.enqueue(retry_for(order, actor, f"choice:{order.order_id}:{offer}"))
