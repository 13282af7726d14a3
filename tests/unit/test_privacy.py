"""Personal data rules (oms.privacy) and requests (oms.services.privacy_service) over in-memory
ports: what a redaction erases and keeps, whose orders a request reaches, Shopify's compliance
payloads read, retention runs that redact only completed orders past the store's period and
continue where they stopped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from oms.errors import BadRequest
from oms.fulfilment import FulfilmentChange
from oms.models import Note, Order, Store
from oms.notifications import Alert
from oms.order_lifecycle import OrderStatus
from oms.order_search import SearchAsk, email_value
from oms.privacy import (
    REDACTED,
    CustomerRef,
    PrivacyKind,
    PrivacyRecord,
    PrivacyRequest,
    PrivacyStatus,
    belongs_to,
    due_for_retention,
    redact_order,
    shopify_request,
)
from oms.services.privacy_service import PrivacyService
from oms.shipments import Shipment
from tests.unit.builders import NOW, STORE, actor, shopify_payload, store
from tests.unit.test_services import World as OrderWorld

BOB = "bob.norman@hostmail.com"


def placed(n: int = 1001, **changes: Any) -> Order:
    world = OrderWorld()
    world.stock.count("A", wh_east=5)
    world.deliver(shopify_payload(n, lines={"A": 1}, note="Ring Bob twice", **changes))
    return world.shipments.orders[f"{STORE}.{n}"]


def test_a_redacted_order_keeps_the_books_and_loses_the_person() -> None:
    order = placed()
    change = redact_order(order, "r-1", actor("staff"))
    assert change is not None
    redacted = change.order
    assert redacted.customer.model_dump(exclude_none=True) == {}
    assert redacted.shipping_address is not None
    assert redacted.shipping_address.model_dump(exclude_none=True) == {
        "province_code": "KY",
        "country_code": "US",
    }
    assert redacted.note is None
    assert (redacted.totals, redacted.lines, redacted.placed_at) == (
        order.totals,
        order.lines,
        order.placed_at,
    )
    assert redacted.redacted_at == NOW
    assert "bob" not in redacted.model_dump_json().casefold()
    assert [e.type for e in change.events] == ["OrderRedacted"]
    assert change.events[0].detail["request_id"] == "r-1"
    # Redacting again changes nothing.
    assert redact_order(redacted, "r-2", actor("staff")) is None


def test_a_notes_text_is_erased_but_the_note_is_kept() -> None:
    order = placed()
    noted = order.model_copy(
        update={"notes": [Note(at=NOW, author="staff", text="Bob called", note_id="n1")]}
    )
    change = redact_order(noted, "r-1", actor("staff"))
    assert change is not None
    assert [(n.note_id, n.text) for n in change.order.notes] == [("n1", REDACTED)]


def test_an_order_is_a_customers_by_email_any_case_phone_digits_or_the_channels_customer_id() -> None:
    order = placed()
    assert belongs_to(order, CustomerRef(email="BOB.Norman@hostmail.com"))
    assert belongs_to(order, CustomerRef(phone="+1 (555) 625-1199"))
    assert belongs_to(order, CustomerRef(channel_customer_id=str(order.customer.channel_customer_id)))
    assert not belongs_to(order, CustomerRef(email="someone@else.example"))
    assert not belongs_to(order, CustomerRef(phone="1199"))  # too short to name anyone


def test_only_completed_orders_past_the_retention_period_and_not_redacted_yet_are_due() -> None:
    order = placed().model_copy(
        update={"status": OrderStatus.COMPLETED, "updated_at": NOW - timedelta(days=40)}
    )
    assert due_for_retention(order, NOW, 30)
    assert not due_for_retention(order, NOW, 60)
    assert not due_for_retention(order, NOW, 0)
    assert not due_for_retention(order.model_copy(update={"status": OrderStatus.DELIVERED}), NOW, 30)
    assert not due_for_retention(order.model_copy(update={"redacted_at": NOW}), NOW, 30)


def test_shopifys_documented_compliance_payloads_are_read_as_requests() -> None:
    data = shopify_request(
        "customers/data_request",
        {
            "shop_id": 954889,
            "shop_domain": "{shop}.myshopify.com",
            "orders_requested": [299938, 280263, 220458],
            "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
            "data_request": {"id": 9999},
        },
        store_id=STORE,
        event_id="evt-1",
        received_at=NOW,
    )
    assert (data.kind, data.request_id, data.channel_request_id) == (
        PrivacyKind.DATA_REQUEST,
        "shopify-evt-1",
        "9999",
    )
    assert data.channel_order_ids == ["299938", "280263", "220458"]
    assert data.customer == CustomerRef(
        email="john@example.com", phone="555-625-1199", channel_customer_id="191167"
    )
    shop = shopify_request(
        "shop/redact",
        {"shop_id": 954889, "shop_domain": "x.myshopify.com"},
        store_id=STORE,
        event_id="e",
        received_at=NOW,
    )
    assert (shop.kind, shop.customer, shop.channel_order_ids) == (PrivacyKind.SHOP_REDACT, None, [])
    for bad in ([], {"orders_to_redact": "299938"}):
        with pytest.raises(BadRequest):
            shopify_request("customers/redact", bad, store_id=STORE, event_id="e", received_at=NOW)


# ---------------------------------------------------------------------------- the service


@dataclass
class Records:
    records: dict[str, PrivacyRecord] = field(default_factory=dict)
    forgotten: list[list[str]] = field(default_factory=list)

    def start(self, request: PrivacyRequest) -> tuple[PrivacyRecord, bool]:
        if request.request_id in self.records:
            return self.records[request.request_id], False
        record = PrivacyRecord(
            request_id=request.request_id,
            kind=request.kind,
            store_id=request.store_id,
            status=PrivacyStatus.RUNNING,
            source=request.source,
            requested_by=request.requested_by,
            received_at=request.received_at,
        )
        self.records[request.request_id] = record
        return record, True

    def progress(self, request_id: str, order_ids: list[str]) -> None:
        self.records[request_id] = self.records[request_id].model_copy(
            update={"orders": len(order_ids), "order_ids": order_ids}
        )

    def finish(
        self,
        request_id: str,
        status: PrivacyStatus,
        at: datetime,
        *,
        file_key: str | None = None,
        problem: str | None = None,
    ) -> None:
        self.records[request_id] = self.records[request_id].model_copy(
            update={"status": status, "file_key": file_key}
        )

    def forget_answers(self, needles: list[str]) -> int:
        self.forgotten.append(needles)
        return 0


class Orders:
    def __init__(self, orders: list[Order]) -> None:
        self.orders = {o.order_id: o for o in orders}

    def order_with_shipments(self, order_id: str) -> tuple[Order | None, list[Shipment]]:
        return self.orders.get(order_id), []

    def save(self, change: FulfilmentChange) -> None:
        assert change.order is not None
        self.orders[change.order.order.order_id] = change.order.order

    def id_page(
        self,
        store_id: str,
        *,
        status: str | None,
        placed_to: datetime | None,
        cursor: str | None,
        now: datetime,
    ) -> tuple[list[str], str | None]:
        ids = sorted(o.order_id for o in self.orders.values() if status is None or o.status.value == status)
        start = int(cursor or 0)
        return ids[start : start + 2], (str(start + 2) if start + 2 < len(ids) else None)

    def find(self, ask: SearchAsk, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        return [
            o.order_id
            for o in self.orders.values()
            if o.customer.email and email_value(o.customer.email) == ask.value
        ], None


class Stores:
    def __init__(self, shop: Store) -> None:
        self.shop = shop
        self.erased: list[str] = []

    def find(self, store_id: str) -> Store | None:
        return self.shop if store_id == self.shop.store_id else None

    def all(self) -> list[Store]:
        return [self.shop]

    def erase(self, shop: Store, at: datetime) -> None:
        self.erased.append(shop.store_id)


@dataclass
class Queue:
    sent: list[tuple[PrivacyRequest, int]] = field(default_factory=list)

    def send(self, request: PrivacyRequest, *, delay_seconds: int = 0) -> None:
        self.sent.append((request, delay_seconds))


@dataclass
class Files:
    written: dict[str, dict[str, Any]] = field(default_factory=dict)

    def write(self, key: str, document: dict[str, Any]) -> None:
        self.written[key] = document

    def delete_mentioning(self, needles: list[str]) -> int:
        return 0


def service(
    orders: list[Order], **settings: Any
) -> tuple[PrivacyService, Orders, Records, Queue, Files, list[Alert]]:
    held, records, queue, files, alerts = Orders(orders), Records(), Queue(), Files(), list[Alert]()
    svc = PrivacyService(held, held, held, Stores(store(**settings)), records, files, queue, alerts.append)
    return svc, held, records, queue, files, alerts


def request(kind: PrivacyKind, **changes: Any) -> PrivacyRequest:
    return PrivacyRequest(
        request_id=f"r-{kind.value}",
        kind=kind,
        store_id=STORE,
        source="staff",
        requested_by="staff:ada",
        received_at=NOW,
        **changes,
    )


def test_a_customers_erasure_reaches_their_orders_by_email_and_the_listed_ones_and_no_one_elses() -> None:
    bob, listed, alice = (
        placed(1001),
        placed(1002, email="other@example.org"),
        placed(1003, email="alice@example.org"),
    )
    listed = listed.model_copy(
        update={"customer": listed.customer.model_copy(update={"email": "other@example.org"})}
    )
    alice = alice.model_copy(
        update={
            "customer": alice.customer.model_copy(update={"email": "alice@example.org", "phone": None}),
            "shipping_address": None,
        }
    )
    svc, held, records, _, _, _ = service([bob, listed, alice])
    ask = request(PrivacyKind.REDACT, customer=CustomerRef(email=BOB), channel_order_ids=["1002"])
    outcome = svc.handle(ask, NOW, lambda: 900)
    assert sorted(outcome.orders) == [bob.order_id, listed.order_id]
    assert held.orders[bob.order_id].redacted_at == NOW
    assert held.orders[listed.order_id].redacted_at == NOW
    assert held.orders[alice.order_id].redacted_at is None
    assert records.records["r-redact"].status is PrivacyStatus.DONE
    assert BOB in records.forgotten[0]
    # The same request again: done already, nothing happens.
    assert svc.handle(ask, NOW, lambda: 900).status == "already"


def test_a_data_request_writes_the_customers_orders_to_one_file_and_tells_staff_without_naming_them() -> None:
    svc, _, records, _, files, alerts = service([placed(1001), placed(1002)])
    svc.handle(request(PrivacyKind.DATA_REQUEST, customer=CustomerRef(email=BOB)), NOW, lambda: 900)
    document = files.written["privacy/r-data_request.json"]
    assert len(document["orders"]) == 2
    assert records.records["r-data_request"].file_key == "privacy/r-data_request.json"
    (alert,) = alerts
    assert BOB not in alert.text
    assert "r-data_request" in alert.text


def test_a_retention_run_redacts_completed_orders_past_the_period_and_continues_when_time_is_short() -> None:
    old = NOW - timedelta(days=100)
    orders = [
        placed(n).model_copy(update={"status": OrderStatus.COMPLETED, "updated_at": old})
        for n in (1001, 1002, 1003)
    ]
    recent = placed(1004).model_copy(update={"status": OrderStatus.COMPLETED, "updated_at": NOW})
    shipped = placed(1005).model_copy(update={"status": OrderStatus.SHIPPED, "updated_at": old})
    svc, held, records, queue, _, _ = service([*orders, recent, shipped], redact_completed_after_days=30)
    (tick,) = svc.schedule(NOW)
    assert tick.request_id == f"retention-{STORE}-{NOW:%Y-%m-%d}"
    queue.sent.clear()
    outcome = svc.handle(tick, NOW, lambda: 10)  # short of time after the first page
    assert outcome.status == "continued"
    ((rest, _),) = queue.sent
    assert rest.cursor == "2"
    svc.handle(rest.model_copy(update={"request_id": tick.request_id}), NOW, lambda: 900)
    assert sorted(o for o, x in held.orders.items() if x.redacted_at) == sorted(o.order_id for o in orders)
    assert records.records[tick.request_id].status is PrivacyStatus.DONE


def test_a_store_erasure_redacts_every_order_erases_the_store_and_looks_again_later() -> None:
    svc, held, _, queue, _, _ = service([placed(1001), placed(1002), placed(1003)])
    svc.handle(request(PrivacyKind.SHOP_REDACT), NOW, lambda: 900)
    assert all(o.redacted_at for o in held.orders.values())
    assert svc.stores.erased == [STORE]  # type: ignore[attr-defined]
    ((sweep, delay),) = queue.sent
    assert (sweep.request_id, delay) == ("r-shop_redact-sweep", 900)
    svc.handle(sweep, NOW, lambda: 900)
    assert len(queue.sent) == 1  # the second look does not look again
