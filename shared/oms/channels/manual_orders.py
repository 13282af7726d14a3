"""Manual orders (phone, point of sale) entered through the admin API.

The admin API validates the request with :class:`ManualOrderRequest` and queues it, with the
order's reference as ``id``, through the same intake queue as the channels' webhooks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from oms.channels.payload_fields import describe
from oms.errors import BadRequest
from oms.identifiers import CHANNEL_ORDER_ID_PATTERN, CURRENCY_PATTERN, STORE_ID_PATTERN
from oms.models import (
    Address,
    Channel,
    Customer,
    LineItem,
    OrderSnapshot,
    PaymentStatus,
    ShippingLine,
    Totals,
)
from oms.money import Money, minor_unit_exponent
from oms.timeutil import UtcDateTime

Amount = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), allow_inf_nan=False)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


class ManualLine(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    sku: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    name: Name
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Amount
    requires_shipping: bool = True


class ManualShipping(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    title: Name = "Shipping"
    code: Annotated[str, StringConstraints(max_length=100)] | None = None
    price: Amount = Decimal(0)


class ManualOrderRequest(BaseModel):
    """A phone or point-of-sale order. Totals are computed from the lines: we are the channel."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    store_id: Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)]
    reference: Annotated[str, StringConstraints(pattern=CHANNEL_ORDER_ID_PATTERN)] | None = Field(
        default=None,
        description="Your id for this order; sending the same reference twice creates one order.",
    )
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
    customer: Customer = Field(default_factory=Customer)
    shipping_address: Address | None = None
    billing_address: Address | None = None
    lines: list[ManualLine] = Field(min_length=1, max_length=500)
    shipping: ManualShipping | None = None
    discount: Amount = Decimal(0)
    tax: Amount = Decimal(0)
    payment_status: Literal["paid", "pending", "authorized"] = "paid"
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    tags: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=50)
    source: Literal["phone", "pos", "email", "other"] = "phone"

    @model_validator(mode="after")
    def _amounts_fit_currency(self) -> ManualOrderRequest:
        exponent = minor_unit_exponent(self.currency)
        amounts = [line.unit_price for line in self.lines] + [self.discount, self.tax]
        if self.shipping:
            amounts.append(self.shipping.price)
        for amount in amounts:
            if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
                raise ValueError(f"{amount} has more decimal places than {self.currency} allows")
        return self

    @model_validator(mode="after")
    def _ships_somewhere(self) -> ManualOrderRequest:
        """A line that ships needs an address: refused here, not held later for want of one."""
        if self.shipping_address is None and any(line.requires_shipping for line in self.lines):
            missing = PydanticCustomError(
                "missing",
                "required when a line ships (send an address, or requires_shipping: false on every line)",
            )
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [InitErrorDetails(type=missing, loc=("shipping_address",), input=None)],
            )
        return self


class QueuedManualOrder(ManualOrderRequest):
    """What the admin API puts on the intake queue."""

    id: Annotated[str, StringConstraints(pattern=CHANNEL_ORDER_ID_PATTERN)]
    placed_at: UtcDateTime


def normalise(payload: dict[str, Any], *, store_id: str) -> OrderSnapshot:
    try:
        order = QueuedManualOrder.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(f"not a manual order: {describe(exc)}", code="invalid_payload") from exc
    currency = order.currency
    lines = [
        LineItem(
            line_id=str(i + 1),
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=Money.of(line.unit_price, currency),
            line_total=Money.of(line.unit_price * line.quantity, currency),
            requires_shipping=line.requires_shipping,
        )
        for i, line in enumerate(order.lines)
    ]
    subtotal = sum((line.line_total for line in lines), Money.zero(currency))
    shipping = Money.of(order.shipping.price if order.shipping else 0, currency)
    discount = Money.of(order.discount, currency)
    tax = Money.of(order.tax, currency)
    return OrderSnapshot(
        channel=Channel.MANUAL,
        store_id=store_id,
        channel_order_id=order.id,
        number=order.reference or order.id,
        currency=currency,
        customer=order.customer,
        billing_address=order.billing_address,
        shipping_address=order.shipping_address,
        lines=lines,
        shipping_lines=(
            [ShippingLine(title=order.shipping.title, code=order.shipping.code, price=shipping)]
            if order.shipping
            else []
        ),
        totals=Totals(
            subtotal=subtotal,
            discounts=discount,
            tax=tax,
            shipping=shipping,
            total=subtotal - discount + shipping + tax,
        ),
        payment_status=PaymentStatus(order.payment_status),
        channel_status=order.payment_status,
        tags=order.tags,
        note=order.note,
        source=order.source,
        placed_at=order.placed_at,
        channel_updated_at=order.placed_at,
    )
