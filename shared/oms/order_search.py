"""Order search (``GET /orders?q=``): the terms an order is found by, and how a query reads: pure.

An order is found by its number (``#1001``, ``1001``), its customer's email (exact,
case-insensitive), the SKUs of its lines and its tags. The search index stores one term item per
(kind, value) of an order (oms.data.order_search_index), kept by a stream consumer. Values are
case-folded; an email is stored only as a hash, so the index holds no address.

A query is one value: ``sku:``, ``tag:``, ``email:`` or ``number:`` names the kind; without one,
text with an ``@`` is an email and anything else matches a number, a SKU or a tag.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from oms.errors import ValidationFailed
from oms.models import Order

KINDS = ("number", "email", "sku", "tag")
MAX_VALUE = 200  # longer values are not indexed (and cannot be asked for)


@dataclass(frozen=True, order=True)
class Term:
    kind: str
    value: str


@dataclass(frozen=True)
class SearchAsk:
    value: str  # the term value to look up
    kinds: frozenset[str]  # the kinds of term that count as a match


@dataclass(frozen=True)
class OrderImages:
    """One write of an order's item: the order before and after (None: not there)."""

    sequence: str
    old: Order | None
    new: Order | None


def folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def email_value(email: str) -> str:
    """What stands for an email in the index: a hash of the case-folded address."""
    return "@" + hashlib.sha256(folded(email).encode()).hexdigest()[:40]


def number_value(number: str) -> str:
    return folded(number).lstrip("#").strip()


def terms_of(order: Order) -> frozenset[Term]:
    """Every term an order is found by, as it stands (staff's added lines and tags included)."""
    terms: set[Term] = set()
    number = number_value(order.number)
    if number:
        terms.add(Term("number", number))
    if order.customer.email:
        terms.add(Term("email", email_value(order.customer.email)))
    for line in [*order.lines, *order.added_lines]:
        for sku in {line.sku, line.stock_sku} - {None, ""}:
            terms.add(Term("sku", folded(str(sku))))
    for tag in order.tags:
        if folded(tag):
            terms.add(Term("tag", folded(tag)))
    return frozenset(t for t in terms if len(t.value) <= MAX_VALUE)


def read_query(q: str) -> SearchAsk:
    """What ``q`` asks for; 422 ``invalid_query`` when there is nothing to look for."""
    text = q.strip()
    kind, colon, rest = text.partition(":")
    if colon and folded(kind) in KINDS:
        kind, text = folded(kind), rest.strip()
    else:
        kind = "email" if "@" in text else ""
    if kind == "email":
        value = email_value(text) if "@" in text else ""
    elif kind == "number":
        value = number_value(text)
    else:
        value = number_value(text) if text.startswith("#") and not kind else folded(text)
    if not value or len(value) > MAX_VALUE:
        raise ValidationFailed(
            f"q must name a value of at most {MAX_VALUE} characters",
            code="invalid_query",
            details=[{"field": "q"}],
        )
    kinds = frozenset({kind}) if kind else frozenset({"number", "sku", "tag"})
    return SearchAsk(value, kinds)
