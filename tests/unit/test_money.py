from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.money import Money, minor_unit_exponent, to_decimal


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


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity", float("inf")])
def test_a_channel_amount_that_is_not_a_finite_number_is_refused_before_any_sum(value: object) -> None:
    with pytest.raises(ValueError, match="finite"):
        to_decimal(value)


def test_amounts_from_a_quadrillion_up_are_refused_and_just_below_are_kept() -> None:
    assert Money.of("999999999999999.99", "USD").amount == Decimal("999999999999999.99")
    for too_large in ("1000000000000000", "-1000000000000000.00"):
        with pytest.raises(ValidationError, match="too large"):
            Money.of(too_large, "USD")


def test_a_difference_is_exact_in_its_currency_and_refuses_another_currency() -> None:
    assert (Money.of("5.00", "USD") - Money.of("1.25", "USD")) == Money.of("3.75", "USD")
    assert Money.of("3", "JPY").times(4) == Money.of("12", "JPY")
    with pytest.raises(ValueError, match="cannot combine"):
        Money.of("5", "USD") - Money.of("1", "EUR")


def test_money_is_immutable() -> None:
    price = Money.of("1.00", "USD")
    with pytest.raises(ValidationError):
        price.amount = Decimal("2.00")  # type: ignore[misc]
