"""The customer's choice while their order waits for stock: pure.

When an order starts waiting (held ``out_of_stock``, or lines backordered) and its store offers
choices (``customer_choice``), the order gets an offer: *wait*, *ship what is available and refund
the rest* (when something can ship), *substitute* (when the store names a substitute for every
waiting SKU, at the same price or lower) and *cancel with a full refund*. The customer's email
carries a signed link to the offer (``GET /choices/{token}``); the store's default is applied at
the offer's ``due`` time. What a choice does runs through the staff operations (cancel, edit),
recorded on the order in the same change as the choice itself, so it happens once.

The link's token names the order and the offer, signed with the stack's key (HMAC-SHA256): a
guessed or altered token is refused before anything is read, exactly like an unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from oms import signed_links
from oms.backorders import backorder_for
from oms.domain_events import SOURCE_ORDERS, ChoiceDetail, OutboxEvent
from oms.errors import Conflict, ValidationFailed
from oms.models import ChoiceOption, CustomerChoice, Order, StoreSettings, Substitute
from oms.order_changes import Actor
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.refunds import noted

TIMEOUT_ACTOR = "system:choice-timeout"
CUSTOMER_ACTOR = "customer"

WORDS = {
    ChoiceOption.WAIT: "Wait: we ship everything as soon as it is back in stock",
    ChoiceOption.SHIP_AVAILABLE: "Ship what is in stock now and refund the rest",
    ChoiceOption.SUBSTITUTE: "Take the suggested substitute instead",
    ChoiceOption.CANCEL: "Cancel the order with a full refund",
}


# ---------------------------------------------------------------------- the signed link

CHOICE_LINK = "oms-choice"


def sign(key: bytes, order_id: str, offer: int) -> str:
    return signed_links.sign(key, CHOICE_LINK, f"{order_id}:{offer}")


def verify(key: bytes, token: str) -> tuple[str, int] | None:
    """The order and offer a genuine token names, else None (the same for every bad token)."""
    text = signed_links.verify(key, CHOICE_LINK, token)
    if text is None:
        return None
    order_id, _, offer = text.rpartition(":")
    try:
        return (order_id, int(offer)) if order_id else None
    except ValueError:
        return None


# ---------------------------------------------------------------------- the offer


def waiting_lines(order: Order) -> dict[str, int]:
    """Per line, the units the order waits for: its backordered lines, or (held out of stock)
    what the stock it found lacks, the last lines of a SKU first."""
    if order.backordered:
        return dict(order.backordered)
    if order.status == OrderStatus.ON_HOLD and order.hold and order.hold.reason == HoldReason.OUT_OF_STOCK:
        return backorder_for(order, [], order.hold.short_lines) or {}
    return {}


def _can_ship_some(order: Order, waiting: dict[str, int]) -> bool:
    return sum(line.open_quantity for line in order.lines if line.ships) > sum(waiting.values())


def _substitutes(order: Order, waiting: dict[str, int], settings: StoreSettings) -> dict[str, Substitute]:
    """For every waiting line, the store's first substitute at its price or lower; empty unless
    every waiting line has one."""
    chosen: dict[str, Substitute] = {}
    for line_id in waiting:
        line = order.line(line_id)
        sku = line.stock_item if line else None
        options = settings.substitutes.get(sku or "", [])
        fit = next(
            (
                s
                for s in options
                if line is not None
                and s.sku != sku
                and (s.unit_price is None or s.unit_price <= line.unit_price.amount)
            ),
            None,
        )
        if fit is None:
            return {}
        chosen[line_id] = fit
    return chosen


def offer_for(order: Order, settings: StoreSettings, at: datetime) -> CustomerChoice | None:
    """A new offer for an order that starts waiting, if its store offers choices and the
    customer can be told (an email address)."""
    waiting = waiting_lines(order)
    if not settings.customer_choice or not waiting or not order.customer.email:
        return None
    options = [ChoiceOption.WAIT]
    if _can_ship_some(order, waiting):
        options.append(ChoiceOption.SHIP_AVAILABLE)
    substitutes = _substitutes(order, waiting, settings)
    if substitutes:
        options.append(ChoiceOption.SUBSTITUTE)
    options.append(ChoiceOption.CANCEL)
    default = ChoiceOption(settings.default_choice)
    return CustomerChoice(
        offer=(order.choice.offer + 1) if order.choice else 1,
        offered_at=at,
        due=at + timedelta(hours=settings.choice_timeout_hours),
        options=options,
        default=default if default in options else ChoiceOption.WAIT,
        substitutes=substitutes,
    )


def follow_offer(order: Order, settings: StoreSettings, *, was_waiting: bool, at: datetime) -> Order:
    """The order's offer after a change: made when it starts waiting, withdrawn (if not chosen)
    when it no longer waits."""
    waiting = bool(waiting_lines(order))
    if waiting and not was_waiting and (order.choice is None or not order.choice.open):
        offer = offer_for(order, settings, at)
        return order.model_copy(update={"choice": offer}) if offer else order
    if not waiting and order.choice is not None and order.choice.open:
        return order.model_copy(update={"choice": order.choice.model_copy(update={"closed_at": at})})
    return order


# ---------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class Choosing:
    """A choice to make: the option, by whom, and the offer it answers."""

    offer: int
    option: ChoiceOption
    by: str  # CUSTOMER_ACTOR or TIMEOUT_ACTOR


def check(order: Order, choosing: Choosing) -> CustomerChoice | None:
    """The offer the choice answers (None: this exact choice was recorded already). 409 when the
    offer is not open any more, 422 when the option was not offered."""
    offer = order.choice
    if offer is None or offer.offer != choosing.offer:
        raise Conflict("this choice is no longer open", code="choice_closed")
    if offer.closed_at is not None:
        raise Conflict(
            "everything in the order is in stock now: there is nothing to choose", code="choice_closed"
        )
    if not offer.open:
        if offer.chosen == choosing.option:
            return None
        raise Conflict("a choice was made already", code="choice_closed")
    if not waiting_lines(order):
        raise Conflict("nothing waits for stock any more", code="choice_closed")
    if choosing.option not in offer.options:
        raise ValidationFailed(
            f"{choosing.option.value!r} is not offered",
            code="choice_not_offered",
            details=[{"field": "choice", "offered": [o.value for o in offer.options]}],
        )
    return offer


def record(
    order: Order, offer: CustomerChoice, choosing: Choosing, actor: Actor
) -> tuple[Order, OutboxEvent]:
    """The order with the choice recorded (and, for *ship what is available*, the order set to ship
    what it can from now on), its timeline entry and event."""
    chosen = offer.model_copy(
        update={"chosen": choosing.option, "chosen_at": actor.at, "chosen_by": choosing.by}
    )
    update: dict[str, object] = {"choice": chosen}
    if choosing.option == ChoiceOption.SHIP_AVAILABLE:
        update["ship_available"] = True
    who = "the customer" if choosing.by == CUSTOMER_ACTOR else "the store's default (no answer in time)"
    after = noted(order.model_copy(update=update), f"{who} chose: {WORDS[choosing.option]}", actor)
    detail = ChoiceDetail(
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        offer=offer.offer,
        choice=choosing.option.value,
        by=choosing.by,
        occurred_at=actor.at,
    )
    event = OutboxEvent(
        id="",
        source=SOURCE_ORDERS,
        type="CustomerChoiceMade",
        occurred_at=actor.at,
        detail=detail.model_dump(mode="json"),
    )
    return after, event


def substitute_price(order: Order, line_id: str, substitute: Substitute) -> Decimal:
    line = order.line(line_id)
    assert line is not None
    return substitute.unit_price if substitute.unit_price is not None else line.unit_price.amount


def due_for_default(order: Order, now: datetime) -> Choosing | None:
    """The store's default choice, if the order's offer is open and past due."""
    offer = order.choice
    if offer is None or not offer.open or offer.due > now or not waiting_lines(order):
        return None
    return Choosing(offer=offer.offer, option=offer.default, by=TIMEOUT_ACTOR)
