"""Outbound webhook rules (oms.outbound_webhooks) and the transport that reaches subscribers
(oms.integrations.webhook_transport): which targets are refused, how a delivery is signed and
checked, how long a failing one is tried, and that the connection goes to the address checked."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime
from typing import Any

import pytest

from oms.integrations.webhook_transport import DeliveryFailed, PinnedTransport
from oms.outbound_webhooks import (
    DELIVERY_ATTEMPTS,
    MAX_RETRY_SECONDS,
    Delivery,
    Subscription,
    TargetRefused,
    body,
    check_target,
    delivery_headers,
    event_types,
    matches,
    retry_delay,
    signature,
    verify,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks",
        "https://hooks.partner.co.uk:8443/oms?token=x",
        "https://93.184.216.34/hooks",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hooks",
    ],
)
def test_https_urls_of_public_hosts_are_accepted(url: str) -> None:
    assert check_target(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.com/hooks",
        "ftp://erp.example.com/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.0.10/",
        "https://127.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",  # carrier-grade NAT
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://[::1]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://localhost/",
        "https://printer.local/",
        "https://db.internal/",
        "https://intranet/",
        "https://user:secret@erp.example.com/",
        "https:///nohost",
    ],
)
def test_urls_that_could_reach_anything_private_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_target(url)


def test_a_delivery_is_signed_over_the_timestamp_and_body_and_a_receiver_can_check_it() -> None:
    delivery = Delivery(
        subscription_id="sub_1",
        event_id="o.1:2:0",
        event_type="OrderConfirmed",
        occurred_at=NOW,
        data={"order_id": "o.1"},
    )
    payload = body(delivery)
    headers = delivery_headers(delivery, "whsec_x", payload, 1_800_000_000)
    assert headers["x-oms-event-id"] == "o.1:2:0"
    assert headers["x-oms-signature"] == signature("whsec_x", 1_800_000_000, payload)
    assert verify("whsec_x", headers["x-oms-signature"], payload, 1_800_000_100)
    assert not verify("whsec_other", headers["x-oms-signature"], payload, 1_800_000_100)
    assert not verify("whsec_x", headers["x-oms-signature"], payload + b" ", 1_800_000_100)
    assert not verify("whsec_x", headers["x-oms-signature"], payload, 1_800_001_000)  # too old: a replay
    assert not verify("whsec_x", "v1=deadbeef", payload, 1_800_000_000)


def test_a_failing_delivery_is_tried_for_more_than_a_day_with_doubling_waits() -> None:
    waits = [retry_delay(n) for n in range(1, DELIVERY_ATTEMPTS)]
    assert waits[:3] == [30, 60, 120]
    assert max(waits) == MAX_RETRY_SECONDS
    assert sum(waits) > 24 * 3600
    assert sum(waits[:-1]) < 24 * 3600  # one attempt fewer would not cover a day


def test_a_subscription_gets_the_types_it_asked_for_or_every_one() -> None:
    some = Subscription(
        subscription_id="s",
        url="https://x.example.com",
        events=["OrderConfirmed"],
        created_at=NOW,
        created_by="a",
    )
    every = some.model_copy(update={"events": ["*"]})
    assert matches(some, "OrderConfirmed")
    assert not matches(some, "OrderPlaced")
    assert matches(every, "StockAdjusted")
    assert event_types(["OrderConfirmed", "OrderPlaced"], ["OrderPlaced", "*", "OrderPlaced"]) == [
        "*",
        "OrderPlaced",
    ]
    with pytest.raises(ValueError, match="OrderTeleported"):
        event_types(["OrderConfirmed"], ["OrderTeleported"])


def resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


@pytest.mark.parametrize("addresses", [("10.0.0.5",), ("93.184.216.34", "169.254.169.254"), ("::1",)])
def test_a_name_that_resolves_to_any_private_address_is_not_connected_to(addresses: tuple[str, ...]) -> None:
    transport = PinnedTransport(resolver(*addresses))
    with pytest.raises(DeliveryFailed) as failed:
        transport.post("https://erp.example.com/hooks", headers={}, body=b"{}", timeout=1)
    assert failed.value.code == "refused_address"


def test_the_connection_goes_to_the_address_that_was_checked_with_the_name_for_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connected: list[tuple[str, int]] = []
    names: list[str] = []

    def create_connection(address: tuple[str, int], timeout: float) -> Any:
        connected.append(address)
        return object()

    def wrap_socket(sock: Any, server_hostname: str) -> Any:
        names.append(server_hostname)
        raise ssl.SSLCertVerificationError("certificate does not match")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    transport = PinnedTransport(resolver("93.184.216.34"))
    monkeypatch.setattr(transport.context, "wrap_socket", wrap_socket)
    with pytest.raises(DeliveryFailed) as failed:
        transport.post("https://erp.example.com:8443/hooks", headers={}, body=b"{}", timeout=1)
    assert failed.value.code == "tls"
    assert connected == [("93.184.216.34", 8443)]  # the checked address, not a new lookup
    assert names == ["erp.example.com"]  # the certificate must be the name's
    assert transport.context.check_hostname


def test_an_unresolvable_name_is_a_failed_attempt_not_a_crash() -> None:
    def resolve(*_: Any, **__: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror("no such name")

    with pytest.raises(DeliveryFailed) as failed:
        PinnedTransport(resolve).post("https://erp.example.com/", headers={}, body=b"", timeout=1)
    assert failed.value.code == "unresolvable"
