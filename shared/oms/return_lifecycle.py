"""The return lifecycle: one table of allowed transitions, like the order's (oms.order_lifecycle).

requested -> approved (a label issued, or none) or declined -> in_transit (the carrier scanned
the parcel) -> received (the warehouse counted it, per line) -> refunded / exchanged -> closed.
A return is cancelled before it is received. ``None`` is "no return yet".
"""

from __future__ import annotations

from enum import StrEnum

from oms.errors import Conflict


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    CLOSED = "closed"
    CANCELLED = "cancelled"


R = ReturnStatus

TRANSITIONS: dict[ReturnStatus | None, frozenset[ReturnStatus]] = {
    None: frozenset({R.REQUESTED}),
    R.REQUESTED: frozenset({R.APPROVED, R.DECLINED, R.CANCELLED}),
    R.APPROVED: frozenset({R.IN_TRANSIT, R.RECEIVED, R.CANCELLED}),
    R.IN_TRANSIT: frozenset({R.RECEIVED, R.CANCELLED}),
    # received -> received: another line (or more units) counted in.
    R.RECEIVED: frozenset({R.RECEIVED, R.REFUNDED, R.EXCHANGED, R.CLOSED}),
    R.REFUNDED: frozenset({R.CLOSED}),
    R.EXCHANGED: frozenset({R.CLOSED}),
    R.DECLINED: frozenset(),
    R.CANCELLED: frozenset(),
    R.CLOSED: frozenset(),
}

OPEN = frozenset({R.REQUESTED, R.APPROVED, R.IN_TRANSIT, R.RECEIVED, R.REFUNDED, R.EXCHANGED})
# Statuses whose units still count against what a line may have returned.
COUNTS = frozenset(OPEN | {R.CLOSED})
# The event each arrival emits.
EVENT_TYPE: dict[ReturnStatus, str] = {
    R.REQUESTED: "ReturnRequested",
    R.APPROVED: "ReturnApproved",
    R.DECLINED: "ReturnDeclined",
    R.IN_TRANSIT: "ReturnInTransit",
    R.RECEIVED: "ReturnReceived",
    R.REFUNDED: "ReturnRefunded",
    R.EXCHANGED: "ReturnExchanged",
    R.CLOSED: "ReturnClosed",
    R.CANCELLED: "ReturnCancelled",
}


def check_transition(current: ReturnStatus | None, target: ReturnStatus) -> None:
    """409 ``illegal_return_transition`` (changing nothing) unless ``current -> target`` is allowed."""
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = sorted(t.value for t in TRANSITIONS.get(current, frozenset()))
        raise Conflict(
            f"a return cannot go from {current.value if current else 'nothing'} to {target.value}"
            f" (allowed: {', '.join(allowed) or 'none'})",
            code="illegal_return_transition",
            details=[{"from": current.value if current else None, "to": target.value}],
        )
