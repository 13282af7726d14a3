"""Manual shipping: staff enter the carrier and tracking number. Parcels are tracked through the
configured tracking provider (EasyPost trackers follow most carriers' numbers) when there is one."""

from __future__ import annotations

from oms.carriers.carrier import Carrier, Parcel, Rate, TrackContext, TrackResult
from oms.errors import BadRequest
from oms.models import Address
from oms.shipments import Label, Shipment


class ManualCarrier:
    provider = "manual"

    def __init__(self, tracker: Carrier | None = None) -> None:
        self.tracker = tracker

    def rates(
        self,
        shipment: Shipment,
        parcel: Parcel,
        ship_from: Address,
        ship_to: Address,
        *,
        is_return: bool = False,
    ) -> list[Rate]:
        raise BadRequest(
            "this store ships manually: enter the carrier and tracking number instead", code="manual_shipping"
        )

    def buy(self, shipment: Shipment, rate: Rate, *, scenario: str | None = None) -> Label:
        raise BadRequest(
            "this store ships manually: enter the carrier and tracking number instead", code="manual_shipping"
        )

    def track(self, label: Label, context: TrackContext) -> TrackResult:
        if self.tracker is None:
            return TrackResult(events=[])
        return self.tracker.track(label, context)

    def void(self, label: Label) -> None:
        return None
