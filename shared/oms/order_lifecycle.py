"""The order lifecycle: one table of allowed transitions, used by every step."""

from __future__ import annotations

from enum import StrEnum

from oms.errors import IllegalTransition


class OrderStatus(StrEnum):
    PLACED = "placed"
    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    ON_HOLD = "on_hold"
    FULFILLING = "fulfilling"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    RETURNED = "returned"


class HoldReason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    UNKNOWN_SKU = "unknown_sku"
    PAYMENT_REVIEW = "payment_review"
    MANUAL = "manual"
    NO_FULFILMENT_LOCATION = "no_fulfilment_location"


S = OrderStatus

# from -> the statuses it may move to. ``None`` is "no order yet".
TRANSITIONS: dict[OrderStatus | None, frozenset[OrderStatus]] = {
    None: frozenset({S.PLACED}),
    S.PLACED: frozenset({S.AWAITING_PAYMENT, S.CONFIRMED, S.ON_HOLD, S.CANCELLED, S.REFUNDED}),
    S.AWAITING_PAYMENT: frozenset({S.CONFIRMED, S.ON_HOLD, S.CANCELLED, S.REFUNDED}),
    # on_hold -> on_hold: the reason or the short lines changed.
    S.ON_HOLD: frozenset(
        {
            S.CONFIRMED,
            S.ON_HOLD,
            S.AWAITING_PAYMENT,
            S.FULFILLING,
            S.PARTIALLY_SHIPPED,
            S.SHIPPED,
            S.DELIVERED,
            S.CANCELLED,
            S.REFUNDED,
            S.PARTIALLY_REFUNDED,
        }
    ),
    # confirmed -> (partially) shipped / delivered: the channel fulfilled it (a point-of-sale sale), or
    # there is nothing to ship (downloads, tickets, gift cards: delivered on confirmation).
    S.CONFIRMED: frozenset(
        {
            S.FULFILLING,
            S.PARTIALLY_SHIPPED,
            S.SHIPPED,
            S.DELIVERED,
            S.ON_HOLD,
            S.CANCELLED,
            S.REFUNDED,
            S.PARTIALLY_REFUNDED,
        }
    ),
    S.FULFILLING: frozenset(
        {
            S.PARTIALLY_SHIPPED,
            S.SHIPPED,
            S.DELIVERED,
            S.ON_HOLD,
            S.CANCELLED,
            S.REFUNDED,
            S.PARTIALLY_REFUNDED,
        }
    ),
    # on hold from partially shipped: the channel changed lines a packed or shipped parcel carries.
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.DELIVERED, S.ON_HOLD, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.RETURNED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.COMPLETED: frozenset({S.RETURNED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    # A partial refund does not stop fulfilment: the order carries on from here.
    S.PARTIALLY_REFUNDED: frozenset(
        {
            S.PARTIALLY_REFUNDED,
            S.REFUNDED,
            S.FULFILLING,
            S.PARTIALLY_SHIPPED,
            S.SHIPPED,
            S.DELIVERED,
            S.COMPLETED,
            S.RETURNED,
            S.CANCELLED,
            S.ON_HOLD,
        }
    ),
    S.RETURNED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED, S.COMPLETED}),
    S.CANCELLED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
}

# Statuses in which the order still holds stock that has not shipped.
HOLDS_STOCK = frozenset({S.CONFIRMED, S.FULFILLING, S.PARTIALLY_SHIPPED, S.PARTIALLY_REFUNDED})
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if s is not None and not targets)
NOT_YET_SHIPPED = frozenset({S.PLACED, S.AWAITING_PAYMENT, S.CONFIRMED, S.ON_HOLD, S.FULFILLING})

# The event each arrival emits ("OrderConfirmed", ...).
EVENT_TYPE: dict[OrderStatus, str] = {
    s: "Order" + "".join(part.capitalize() for part in s.value.split("_")) for s in OrderStatus
}


def can_transition(current: OrderStatus | None, target: OrderStatus) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: OrderStatus | None, target: OrderStatus) -> None:
    """Raise :class:`IllegalTransition` (changing nothing) unless ``current -> target`` is allowed."""
    if not can_transition(current, target):
        allowed = sorted(t.value for t in TRANSITIONS.get(current, frozenset()))
        raise IllegalTransition(
            f"an order cannot go from {current.value if current else 'nothing'} to {target.value}"
            f" (allowed: {', '.join(allowed) or 'none'})",
            details=[{"from": current.value if current else None, "to": target.value}],
        )
