"""The customer's returns page (oms.return_page): a customer finds their order with its number and
their email (or the postcode it went to), sees what may come back, and starts a return, approved
at once when the store's policy allows (oms.services.return_desk); then follows it on the
return's own page, reached by a signed link.

**Nothing for a guesser.** An unknown number, a wrong email and a redacted order get the same
answer. Attempts are counted per IP address and per order number (whether or not it exists) and
refused past a limit; the return's page is reached only through a link signed with the stack's
key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from oms.errors import NotFound, TooManyRequests, ValidationFailed
from oms.models import Order, Store
from oms.order_changes import Actor
from oms.order_search import SearchAsk, folded, number_value
from oms.ports import OrderReader, Stores
from oms.return_page import Typed, page_path
from oms.returns import LineReturn, Return
from oms.services.return_desk import Returnable, ReturnDesk

NOT_FOUND = "we could not find an order with that number and email address or postcode"
PER_IP = (30, 900)  # attempts, seconds
PER_ORDER = (10, 900)
CANDIDATES = 10  # orders sharing a number (across stores) looked at


class OrderNumbers(Protocol):
    def find(self, ask: SearchAsk, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]: ...


class Attempts(Protocol):
    def allow(self, scope: str, key: str, *, limit: int, window_seconds: int) -> bool: ...


class ReturnLinks(Protocol):
    def return_token(self, return_id: str) -> str: ...
    def read_return(self, token: str) -> str | None: ...


@dataclass
class Found:
    store: Store | None
    returnable: Returnable


@dataclass
class Started:
    store: Store | None
    ret: Return
    page_path: str


class ReturnPortal:
    def __init__(
        self,
        desk: ReturnDesk,
        orders: OrderReader,
        numbers: OrderNumbers,
        stores: Stores,
        attempts: Attempts,
        links: ReturnLinks,
    ) -> None:
        self.desk, self.orders, self.numbers, self.stores = desk, orders, numbers, stores
        self.attempts, self.links = attempts, links

    def find(self, typed: Typed, ip: str, now: datetime) -> Found:
        """The customer's order and what may come back (404 ``not_found`` for every miss)."""
        order = self._identify(typed, ip)
        return Found(self.stores.find(order.store_id), self.desk.returnable(order.order_id, now))

    def start(self, typed: Typed, asks: list[LineReturn], ip: str, actor: Actor) -> Started:
        """The customer's return (the store's policy applied; approved at once when it allows)."""
        if not asks:
            raise ValidationFailed("choose at least one item to return", code="empty_return")
        order = self._identify(typed, ip)
        ret = self.desk.request(order.order_id, asks, actor=actor, source="customer")
        path = page_path(self.links.return_token(ret.return_id))
        return Started(self.stores.find(order.store_id), ret, path)

    def page(self, token: str) -> tuple[Store | None, Return, str]:
        """A return's page from its signed link (404 for every link that is not one)."""
        return_id = self.links.read_return(token)
        if return_id is None:
            raise NotFound("this link is not valid", code="not_found")
        try:
            ret = self.desk.get(return_id)
        except NotFound:
            raise NotFound("this link is not valid", code="not_found") from None
        return self.stores.find(ret.store_id), ret, page_path(token)

    def _identify(self, typed: Typed, ip: str) -> Order:
        number = number_value(typed.order_number)
        if not number or not (typed.email or typed.postcode):
            raise ValidationFailed(
                "give the order number and the email address or the postcode",
                code="validation_error",
                details=[{"field": "order_number" if not number else "email"}],
            )
        ip_limit, ip_window = PER_IP
        order_limit, order_window = PER_ORDER
        if not self.attempts.allow("returns-ip", ip, limit=ip_limit, window_seconds=ip_window) or not (
            self.attempts.allow(
                "returns-order",
                f"{typed.store or '*'}:{number}",
                limit=order_limit,
                window_seconds=order_window,
            )
        ):
            raise TooManyRequests("too many attempts: try again in a few minutes", code="too_many_attempts")
        ids, _ = self.numbers.find(SearchAsk(number, frozenset({"number"})), limit=CANDIDATES, cursor=None)
        for order_id in ids:
            order = self.orders.get(order_id)
            if order is not None and _matches(order, typed, number):
                return order
        raise NotFound(NOT_FOUND, code="not_found")


def _postcode(text: str | None) -> str:
    return "".join((text or "").split()).upper()


def _matches(order: Order, typed: Typed, number: str) -> bool:
    """The order is the one typed: its number, its store (when the page is a store's), and its
    email or the postcode it went to (a redacted order has neither)."""
    if number_value(order.number) != number or (typed.store and order.store_id != typed.store):
        return False
    if order.redacted_at is not None:
        return False
    if typed.email and order.customer.email and folded(typed.email) == folded(order.customer.email):
        return True
    address = order.address_override or order.shipping_address
    wanted = _postcode(typed.postcode)
    return bool(wanted) and address is not None and _postcode(address.postal_code) == wanted
