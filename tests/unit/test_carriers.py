"""Carriers: the sandbox's scenarios, EasyPost against recorded exchanges, the rate policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from oms.carriers.carrier import (
    CarrierRejected,
    CarrierUnavailable,
    Rate,
    TrackContext,
    choose_rate,
    parcel_for,
)
from oms.carriers.easypost_carrier import EasyPostCarrier
from oms.carriers.sandbox_carrier import SandboxCarrier
from oms.errors import BadRequest
from oms.models import Address, Box, RateChoice
from oms.money import Money
from oms.shipments import Label, Shipment, ShipmentLine
from tests.replay import Replay

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
EAST = Address(
    company="Demo Shop East",
    line1="100 Warehouse Way",
    city="Edison",
    province_code="NJ",
    postal_code="08817",
    country_code="US",
)
CUSTOMER = Address(
    name="Jane Doe",
    line1="417 Montgomery Street",
    line2="Floor 5",
    city="San Francisco",
    province_code="CA",
    postal_code="94104",
    country_code="US",
)


def shipment(shipment_id: str = "demo-shopify.1001-S1") -> Shipment:
    return Shipment(
        shipment_id=shipment_id,
        order_id="demo-shopify.1001",
        store_id="demo-shopify",
        channel="shopify",
        number="#1001",
        location="wh-east",
        lines=[
            ShipmentLine(line_id="1", sku="IPOD2008GREEN", name="iPod Nano - Green", quantity=2, grams=400)
        ],
        ship_to=CUSTOMER,
        created_at=NOW,
        updated_at=NOW,
    )


def easypost(replay: Replay) -> EasyPostCarrier:
    return EasyPostCarrier(lambda: "EZTK_test_key_for_replay", replay)


# ---------------------------------------------------------------- EasyPost


def test_easypost_quotes_buys_tracks_and_voids_as_its_api_documents() -> None:
    replay = Replay.of("easypost")
    carrier = easypost(replay)
    parcel = parcel_for(shipment(), Box())
    assert parcel.weight_grams == 1000  # 2 x 400 g + the 200 g box

    rates = carrier.rates(shipment(), parcel, EAST, CUSTOMER)
    assert [(r.service, r.amount, r.delivery_days) for r in rates] == [
        ("Express", Money.of("31.25", "USD"), 1),
        ("Priority", Money.of("9.85", "USD"), 2),
        ("GroundAdvantage", Money.of("7.10", "USD"), 4),  # est_delivery_days when delivery_days is null
    ]
    chosen = choose_rate(rates, RateChoice.CHEAPEST, None)
    label = carrier.buy(shipment(), chosen)
    assert label == Label(
        provider="easypost",
        carrier="USPS",
        service="GroundAdvantage",
        tracking_number="EZ1000000001",
        tracking_url="https://track.easypost.com/djE6dHJrXzljMGQxZTJm",
        label_url="https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20261122/e8d2a9f0.png",
        cost=Money.of("7.10", "USD"),
        provider_id="shp_7f1f5e2a8d3c4b0e9a6d1c2b3a4f5e6d",
        tracker_id="trk_9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
    )

    result = carrier.track(label, TrackContext(shipped_at=NOW, check=1, now=NOW + timedelta(days=1)))
    # pre_transit scans (label created) say nothing about the parcel and are left out.
    assert [(e.status.value, e.description, e.location) for e in result.events] == [
        ("in_transit", "Arrived at USPS Origin Facility", "KEARNY, NJ"),
        ("in_transit", "Arrived at USPS Facility", "COLUMBUS, OH"),
    ]
    assert result.events[0].at == datetime(2026, 11, 22, 19, 21, tzinfo=UTC)
    assert result.estimated_delivery == datetime(2026, 11, 26, tzinfo=UTC)
    assert result.tracker_id == label.tracker_id

    carrier.void(label)
    assert replay.done()


def test_a_number_entered_by_hand_is_tracked_by_creating_a_tracker() -> None:
    replay = Replay.of("easypost-manual-tracker")
    label = Label(provider="manual", carrier="UPS", tracking_number="EZ4000000004")
    result = easypost(replay).track(label, TrackContext(shipped_at=NOW, check=1, now=NOW))
    assert [e.status.value for e in result.events] == ["in_transit", "out_for_delivery", "delivered"]
    assert result.tracker_id == "trk_4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f90"  # kept: later checks GET it
    assert result.estimated_delivery is None
    assert replay.done()


@pytest.mark.parametrize(
    ("failure", "error", "code"),
    [
        (503, CarrierUnavailable, "carrier_unavailable"),
        (429, CarrierUnavailable, "carrier_unavailable"),
        ("network", CarrierUnavailable, "carrier_unavailable"),
        (401, CarrierRejected, "carrier_rejected"),
        (422, CarrierRejected, "carrier_rejected"),
    ],
)
def test_easypost_failures_say_whether_a_retry_can_help(failure: int | str, error: type, code: str) -> None:
    replay = Replay([], fail_at={0: failure})
    with pytest.raises(error) as raised:
        easypost(replay).rates(shipment(), parcel_for(shipment(), Box()), EAST, CUSTOMER)
    assert raised.value.code == code
    # The message never quotes what was sent (addresses are personal data and end up in logs).
    assert "Montgomery" not in str(raised.value)
    assert "Jane" not in str(raised.value)


# ---------------------------------------------------------------- rate policy


def _rate(service: str, amount: str, days: int | None) -> Rate:
    return Rate(carrier="USPS", service=service, amount=Money.of(amount, "USD"), delivery_days=days)


RATES = [_rate("Express", "31.25", 1), _rate("Priority", "9.85", 2), _rate("GroundAdvantage", "7.10", 4)]


@pytest.mark.parametrize(
    ("choice", "checkout", "service"),
    [
        (RateChoice.CHEAPEST, None, "GroundAdvantage"),
        (RateChoice.FASTEST, None, "Express"),
        (RateChoice.CHECKOUT, "USPS Priority", "Priority"),
        (RateChoice.CHECKOUT, "priority", "Priority"),
        (RateChoice.CHECKOUT, "Drone delivery", "GroundAdvantage"),  # not offered: the cheapest
        (RateChoice.CHECKOUT, None, "GroundAdvantage"),
    ],
)
def test_the_stores_rate_policy_picks_the_rate(
    choice: RateChoice, checkout: str | None, service: str
) -> None:
    assert choose_rate(RATES, choice, checkout).service == service


def test_no_rate_is_a_clear_error() -> None:
    with pytest.raises(BadRequest) as raised:
        choose_rate([], RateChoice.CHEAPEST, None)
    assert raised.value.code == "no_rates"


# ---------------------------------------------------------------- sandbox


def _story(scenario: str, checks: int) -> list[list[str]]:
    carrier = SandboxCarrier()
    rate = carrier.rates(shipment(), parcel_for(shipment(), Box()), EAST, CUSTOMER)[0]
    label = carrier.buy(shipment(), rate, scenario=scenario)
    return [
        [e.status.value for e in carrier.track(label, TrackContext(NOW, k, NOW + timedelta(hours=k))).events]
        for k in range(1, checks + 1)
    ]


def test_sandbox_delivered_after_n_checks() -> None:
    assert _story("delivered:4", 5)[-2:] == [
        ["in_transit", "in_transit", "out_for_delivery", "delivered"],
        ["in_transit", "in_transit", "out_for_delivery", "delivered"],
    ]
    assert _story("delivered:4", 2)[-1] == ["in_transit"]


def test_sandbox_exception_then_delivered_returned_and_stalled() -> None:
    assert _story("exception", 4)[-1] == ["in_transit", "exception", "out_for_delivery", "delivered"]
    assert _story("returned", 3)[-1] == ["in_transit", "exception", "returned_to_sender"]
    assert _story("stalled", 6)[-1] == ["in_transit"]


def test_sandbox_is_deterministic_and_rejects_unknown_scenarios() -> None:
    carrier = SandboxCarrier()
    rate = carrier.rates(shipment(), parcel_for(shipment(), Box()), EAST, CUSTOMER)[0]
    assert carrier.buy(shipment(), rate) == carrier.buy(shipment(), rate)
    assert carrier.buy(shipment(), rate).cost == Money.of(Decimal("5.85"), "USD")  # 4.95 + 0.90/kg x 1 kg
    with pytest.raises(BadRequest):
        carrier.buy(shipment(), rate, scenario="lost-at-sea")
