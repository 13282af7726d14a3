"""A deterministic carrier for the local stack, demos and tests.

Labels cost what a small-parcel carrier would charge; tracking follows a scenario chosen when the
label is bought (store setting ``sandbox_scenario`` or the label request), encoded in the tracking
number so every check of the same parcel sees the same story. Scans are one hour apart from the
moment the parcel shipped, so a repeated check reports the same events:

- ``delivered:N``  in transit from the first check, out for delivery at check N-1, delivered at N
- ``exception``    a failed delivery attempt at check 2, delivered at check 4
- ``returned``     an address problem at check 2, returned to sender at check 3
- ``stalled``      one scan at check 1, then nothing (the poller raises "no scan for N days")
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

from oms.carriers.carrier import Parcel, Rate, TrackContext, TrackResult
from oms.errors import BadRequest
from oms.models import Address
from oms.money import Money
from oms.shipments import Label, Shipment, ShipmentStatus, TrackingEvent

S = ShipmentStatus
_SERVICES = (
    ("ground", Decimal("4.95"), Decimal("0.90"), 4),
    ("express", Decimal("11.50"), Decimal("1.60"), 2),
    ("overnight", Decimal("24.00"), Decimal("2.40"), 1),
)
_SCENARIO = re.compile(r"^(delivered(?::(\d{1,2}))?|exception|returned|stalled)$")
DEFAULT_SCENARIO = "delivered:3"


def _code(scenario: str) -> str:
    """Three characters, right after "SBX" in the tracking number."""
    found = _SCENARIO.match(scenario)
    if not found:
        raise BadRequest(f"unknown sandbox scenario {scenario!r}", code="invalid_scenario")
    if found.group(1).startswith("delivered"):
        return f"D{int(found.group(2) or 3):02d}"
    return {"exception": "EXC", "returned": "RTS", "stalled": "STL"}[found.group(1)]


class SandboxCarrier:
    provider = "sandbox"

    def rates(
        self,
        shipment: Shipment,
        parcel: Parcel,
        ship_from: Address,
        ship_to: Address,
        *,
        is_return: bool = False,
    ) -> list[Rate]:
        kilos = Decimal(max(parcel.weight_grams, 1)) / 1000
        return [
            Rate(
                carrier="Sandbox Post",
                service=name,
                delivery_days=days,
                rate_id=f"sbx_{name}",
                amount=Money.of((base + per_kg * kilos).quantize(Decimal("0.01")), "USD"),
            )
            for name, base, per_kg, days in _SERVICES
        ]

    def buy(self, shipment: Shipment, rate: Rate, *, scenario: str | None = None) -> Label:
        digits = int(hashlib.sha256(shipment.shipment_id.encode()).hexdigest()[:10], 16) % 10**10
        number = f"SBX{_code(scenario or DEFAULT_SCENARIO)}{digits:010d}"
        return Label(
            provider=self.provider,
            carrier=rate.carrier,
            service=rate.service,
            tracking_number=number,
            tracking_url=f"https://sandbox-post.example/track/{number}",
            label_url=f"https://sandbox-post.example/labels/{number}.pdf",
            cost=rate.amount,
            provider_id=number,
        )

    def track(self, label: Label, context: TrackContext) -> TrackResult:
        number = label.tracking_number or ""
        code = number[3:6] if number.startswith("SBX") else "D03"
        k = max(1, context.check)
        start = context.shipped_at

        def scan(
            n: int, status: ShipmentStatus, text: str, where: str | None = "Sandbox hub"
        ) -> TrackingEvent:
            return TrackingEvent(
                status=status, description=text, at=start + timedelta(hours=n), location=where
            )

        events = [scan(1, S.IN_TRANSIT, "Picked up by Sandbox Post", "Origin facility")]
        if code.startswith("D"):
            deliver_at = int(code[1:])
            events += [scan(n, S.IN_TRANSIT, "In transit") for n in range(2, min(k, deliver_at - 1))]
            if k >= deliver_at - 1 and deliver_at > 2:
                events.append(
                    scan(deliver_at - 1, S.OUT_FOR_DELIVERY, "Out for delivery", "Destination office")
                )
            if k >= deliver_at:
                events.append(scan(deliver_at, S.DELIVERED, "Delivered", "Front door"))
        elif code == "EXC":
            if k >= 2:
                events.append(
                    scan(2, S.EXCEPTION, "Delivery attempted: recipient not available", "Destination")
                )
            if k >= 3:
                events.append(scan(3, S.OUT_FOR_DELIVERY, "Out for delivery (second attempt)", "Destination"))
            if k >= 4:
                events.append(scan(4, S.DELIVERED, "Delivered", "Front door"))
        elif code == "RTS":
            if k >= 2:
                events.append(scan(2, S.EXCEPTION, "Address not found", "Destination"))
            if k >= 3:
                events.append(scan(3, S.RETURNED_TO_SENDER, "Returned to sender", "Destination"))
        # The carrier's promise: the scenario's delivery scan (stalled parcels promise two days).
        promised = int(code[1:]) if code.startswith("D") else {"EXC": 4, "RTS": 3, "STL": 48}.get(code, 3)
        return TrackResult(events=events, estimated_delivery=start + timedelta(hours=promised))

    def void(self, label: Label) -> None:
        return None
