"""Small helpers shared by the channel adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import ValidationError

from oms.money import Money, minor_unit_exponent, to_decimal


def text(value: Any) -> str | None:
    """A non-empty, stripped string or None."""
    if value is None:
        return None
    result = str(value).strip()
    return result or None


def ident(value: Any) -> str | None:
    """Channel ids are numbers in JSON; we keep them as strings (some exceed 2^53)."""
    if value is None or value == 0 or value == "":
        return None
    return str(value)


def order_id(value: Any) -> str:
    """The channel's order id: a number or a non-empty string."""
    if isinstance(value, bool) or value is None or not str(value).strip():
        raise ValueError("the order has no id")
    return str(value).strip()


def money(value: Any, currency: str) -> Money:
    return Money.of(0 if value is None or value == "" else value, currency)


def rounded_money(value: Any, currency: str) -> Money:
    """A channel amount that may carry more precision than the currency (WooCommerce unit prices
    are ``total / quantity`` as a float), rounded half-even to the minor unit."""
    amount = to_decimal(0 if value is None or value == "" else value)
    quantum = Decimal(1).scaleb(-minor_unit_exponent(currency))
    return Money.of(amount.quantize(quantum, rounding=ROUND_HALF_EVEN), currency)


def rfc2822_time(value: Any) -> datetime | None:
    """An RFC 2822 date (BigCommerce V2: ``Tue, 05 Mar 2019 21:40:11 +0000``) in UTC; None when
    empty or unreadable."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value)).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def split_tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    if not value:
        return []
    return [t.strip() for t in str(value).split(",") if t.strip()]


def describe(exc: Exception) -> str:
    """An error description that never echoes payload values (they may be personal data)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'payload'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        )[:1000]
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return type(exc).__name__
