"""EasyPost (https://docs.easypost.com): rates and labels for most carriers, and trackers.

- rates: ``POST /v2/shipments`` with the two addresses and the parcel (ounces, inches)
- buy:   ``POST /v2/shipments/{id}/buy`` with the chosen rate; the tracker comes with the label
- track: ``GET /v2/trackers/{id}``, or ``POST /v2/trackers`` for a number entered by hand
- void:  ``POST /v2/shipments/{id}/refund``
Authentication is HTTP Basic with the API key as user name; the key lives in SSM (SecureString).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from oms.carriers.carrier import CarrierRejected, CarrierUnavailable, Parcel, Rate, TrackContext, TrackResult
from oms.integrations.http_transport import HttpError, Transport, call_json
from oms.models import Address
from oms.money import Money
from oms.shipments import Label, Shipment, ShipmentStatus, TrackingEvent
from oms.timeutil import to_utc

BASE_URL = "https://api.easypost.com/v2"
_STATUS = {
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "return_to_sender": ShipmentStatus.RETURNED_TO_SENDER,
    "failure": ShipmentStatus.EXCEPTION,
    "error": ShipmentStatus.EXCEPTION,
    "cancelled": ShipmentStatus.EXCEPTION,
}


def _address(address: Address) -> dict[str, Any]:
    fields = {
        "name": address.name,
        "company": address.company,
        "street1": address.line1,
        "street2": address.line2,
        "city": address.city,
        "state": address.province_code or address.province,
        "zip": address.postal_code,
        "country": address.country_code,
        "phone": address.phone,
    }
    return {k: v for k, v in fields.items() if v}


def _time(value: str) -> datetime:
    return to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


class EasyPostCarrier:
    provider = "easypost"

    def __init__(self, api_key: Callable[[], str], transport: Transport, *, base_url: str = BASE_URL) -> None:
        self.api_key = api_key
        self.transport = transport
        self.base_url = base_url

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        token = base64.b64encode(f"{self.api_key()}:".encode()).decode()
        try:
            return call_json(
                self.transport,
                method,
                f"{self.base_url}{path}",
                payload=payload,
                headers={"authorization": f"Basic {token}"},
                service="EasyPost",
            )
        except HttpError as error:
            if error.retryable:
                raise CarrierUnavailable(str(error)) from error
            raise CarrierRejected(str(error)) from error

    def rates(
        self,
        shipment: Shipment,
        parcel: Parcel,
        ship_from: Address,
        ship_to: Address,
        *,
        is_return: bool = False,
    ) -> list[Rate]:
        created = self._call(
            "POST",
            "/shipments",
            {
                "shipment": {
                    "reference": shipment.shipment_id,
                    "from_address": _address(ship_from),
                    "to_address": _address(ship_to),
                    # A return label: EasyPost swaps the addresses (docs.easypost.com/docs/returns).
                    **({"is_return": True} if is_return else {}),
                    "parcel": {
                        "weight": round(parcel.weight_grams / 28.349523125, 1),
                        "length": round(parcel.length_cm / 2.54, 1),
                        "width": round(parcel.width_cm / 2.54, 1),
                        "height": round(parcel.height_cm / 2.54, 1),
                    },
                }
            },
        )
        return [
            Rate(
                carrier=r["carrier"],
                service=r["service"],
                amount=Money.of(r["rate"], r.get("currency") or "USD"),
                delivery_days=r.get("delivery_days") or r.get("est_delivery_days"),
                rate_id=r["id"],
                provider_shipment_id=created["id"],
            )
            for r in created.get("rates") or []
        ]

    def buy(self, shipment: Shipment, rate: Rate, *, scenario: str | None = None) -> Label:
        bought = self._call(
            "POST", f"/shipments/{rate.provider_shipment_id}/buy", {"rate": {"id": rate.rate_id}}
        )
        selected = bought.get("selected_rate") or {}
        tracker = bought.get("tracker") or {}
        label = bought.get("postage_label") or {}
        return Label(
            provider=self.provider,
            carrier=selected.get("carrier") or rate.carrier,
            service=selected.get("service") or rate.service,
            tracking_number=bought.get("tracking_code"),
            tracking_url=tracker.get("public_url"),
            label_url=label.get("label_pdf_url") or label.get("label_url"),
            cost=Money.of(selected.get("rate") or rate.amount.amount, selected.get("currency") or "USD"),
            provider_id=bought["id"],
            tracker_id=tracker.get("id"),
        )

    def track(self, label: Label, context: TrackContext) -> TrackResult:
        if label.tracker_id:
            tracker = self._call("GET", f"/trackers/{label.tracker_id}")
        else:
            tracker = self._call(
                "POST",
                "/trackers",
                {"tracker": {"tracking_code": label.tracking_number, "carrier": label.carrier}},
            )
        events = []
        for detail in tracker.get("tracking_details") or []:
            status = _STATUS.get(str(detail.get("status")))
            if status is None or not detail.get("datetime"):
                continue  # pre_transit (label created) and unknown scans say nothing new
            where = detail.get("tracking_location") or {}
            place = ", ".join(p for p in (where.get("city"), where.get("state"), where.get("country")) if p)
            events.append(
                TrackingEvent(
                    status=status,
                    description=str(detail.get("message") or status.value),
                    at=_time(str(detail["datetime"])),
                    location=place or None,
                )
            )
        estimated = tracker.get("est_delivery_date")
        return TrackResult(
            events=events,
            estimated_delivery=_time(estimated) if estimated else None,
            tracker_id=tracker.get("id"),
        )

    def void(self, label: Label) -> None:
        if label.provider_id:
            self._call("POST", f"/shipments/{label.provider_id}/refund")
