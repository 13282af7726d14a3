"""Money: a Decimal amount with its ISO-4217 currency, exact to the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

# ISO 4217 minor units that differ from the usual 2.
_EXPONENTS: dict[str, int] = {
    # Zero-decimal currencies.
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_unit_exponent(currency: str) -> int:
    """Number of decimal places of ``currency`` (JPY 0, USD 2, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_decimal(value: Any) -> Decimal:
    """A channel amount (string, int or float) as an exact Decimal.

    Floats go through ``repr`` so 16.55 stays 16.55 rather than its binary expansion.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not a decimal amount") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return result


class Money(BaseModel):
    """An amount in one currency. Amounts are never floats."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    amount: Decimal
    currency: str

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
            raise ValueError("currency must be a three-letter ISO 4217 code")
        return value.strip().upper()

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Decimal:
        return to_decimal(value)

    @model_validator(mode="after")
    def _exact_to_minor_unit(self) -> Money:
        exponent = minor_unit_exponent(self.currency)
        quantum = Decimal(1).scaleb(-exponent)
        if abs(self.amount) >= Decimal("1e15"):
            raise ValueError("amount is too large")
        quantized = self.amount.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if quantized != self.amount:
            raise ValueError(
                f"{self.amount} has more decimal places than {self.currency} allows ({exponent})"
            )
        object.__setattr__(self, "amount", quantized)
        return self

    @classmethod
    def of(cls, amount: Any, currency: str) -> Money:
        return cls(amount=amount, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    @property
    def minor_units(self) -> int:
        """The amount in the currency's smallest unit (cents, yen, fils)."""
        return int(self.amount.scaleb(minor_unit_exponent(self.currency)))

    # Sums, differences and integer multiples of exact amounts are exact in the same currency, so
    # they skip validation (construct).
    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.model_construct(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.model_construct(amount=self.amount - other.amount, currency=self.currency)

    def times(self, quantity: int) -> Money:
        return Money.model_construct(amount=self.amount * int(quantity), currency=self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
