from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.money import Money, minor_unit_exponent


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_minor_unit_exponent_follows_iso_4217(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


def test_amounts_are_exact_decimals_at_the_currency_precision() -> None:
    assert Money.of("199.00", "usd").amount == Decimal("199.00")
    assert str(Money.of("0.9", "USD")) == "0.90 USD"  # WooCommerce's "0.9" is 0.90
    assert str(Money.of(16.55, "USD").amount) == "16.55"  # a float goes through repr, not binary
    assert str(Money.of("1500.00", "JPY").amount) == "1500"
    assert str(Money.of("1.234", "KWD").amount) == "1.234"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("10.5", "JPY"), ("1.234", "USD"), ("1.2345", "KWD"), ("NaN", "USD"), ("abc", "USD")],
)
def test_amounts_finer_than_the_currency_or_not_numbers_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(ValidationError):
        Money.of(amount, currency)


def test_minor_units_and_arithmetic_keep_the_currency() -> None:
    assert Money.of("12.34", "USD").minor_units == 1234
    assert Money.of("1500", "JPY").minor_units == 1500
    assert Money.of("1.005", "KWD").minor_units == 1005
    assert (Money.of("1.10", "USD") + Money.of("2.20", "USD")).amount == Decimal("3.30")
    with pytest.raises(ValueError, match="cannot combine"):
        Money.of("1", "USD") + Money.of("1", "EUR")


def test_currency_must_be_a_three_letter_code() -> None:
    with pytest.raises(ValidationError):
        Money.of("1.00", "US")
    with pytest.raises(ValidationError):
        Money.of(True, "USD")
