"""Privacy requests (oms.privacy): a customer's data handed to staff as a file, a customer's or a
whole store's personal data erased, and the retention schedule's erasures.

A customer's orders are those the request names (Shopify lists them) and those the search index
finds by the customer's email in the store (checked against each order). Each order is redacted
with its shipments in one conditional write (a concurrent change is read and redacted again); the
order's stream write makes the search indexer drop its email term. An erasure then deletes the
export files and pick lists that mention the orders, and the admin API's stored answers that do.
A store's erasure, or a retention run, reads the store's orders a page at a time and queues the
rest of itself when its time runs short. Every step is safe to repeat: a redacted order is left
as it is, a file is written again, the record is created once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from oms.errors import ConcurrentModification, NotFound
from oms.fulfilment import FulfilmentChange, ShipmentChange, finish
from oms.models import Order, Store
from oms.notifications import Alert
from oms.order_changes import Actor
from oms.order_search import SearchAsk, email_value
from oms.privacy import (
    PrivacyKind,
    PrivacyRecord,
    PrivacyRequest,
    PrivacyStatus,
    belongs_to,
    data_document,
    due_for_retention,
    order_ids,
    redact_order,
    redact_shipment,
)
from oms.shipments import Shipment

PAGE = 100
SPARE_SECONDS = 30.0
# A store's erasure looks again this long after (SQS's longest delay): deliveries the webhook and
# the intake took while their caches still held the store (minutes) are redacted then.
SWEEP_DELAY_SECONDS = 900
SWEEP = "-sweep"


class Records(Protocol):
    def start(self, request: PrivacyRequest) -> tuple[PrivacyRecord, bool]: ...
    def progress(self, request_id: str, order_ids: list[str]) -> None: ...
    def finish(
        self,
        request_id: str,
        status: PrivacyStatus,
        at: datetime,
        *,
        file_key: str | None = None,
        problem: str | None = None,
    ) -> None: ...
    def forget_answers(self, needles: list[str]) -> int: ...


class Files(Protocol):
    def write(self, key: str, document: dict[str, Any]) -> None: ...
    def delete_mentioning(self, needles: list[str]) -> int: ...


class Orders(Protocol):
    def order_with_shipments(self, order_id: str) -> tuple[Order | None, list[Shipment]]: ...
    def save(self, change: FulfilmentChange) -> None: ...


class OrderPages(Protocol):
    def id_page(
        self,
        store_id: str,
        *,
        status: str | None,
        placed_to: datetime | None,
        cursor: str | None,
        now: datetime,
    ) -> tuple[list[str], str | None]: ...


class Search(Protocol):
    def find(self, ask: SearchAsk, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]: ...


class PrivacyStores(Protocol):
    def find(self, store_id: str) -> Store | None: ...
    def all(self) -> list[Store]: ...
    def erase(self, store: Store, at: datetime) -> None: ...


class RequestQueue(Protocol):
    def send(self, request: PrivacyRequest, *, delay_seconds: int = 0) -> None: ...


@dataclass
class PrivacyOutcome:
    request: PrivacyRequest
    status: str  # done | continued | already
    orders: list[str] = field(default_factory=list)
    files_deleted: int = 0
    answers_forgotten: int = 0


class PrivacyService:
    def __init__(
        self,
        orders: Orders,
        pages: OrderPages,
        search: Search,
        stores: PrivacyStores,
        records: Records,
        files: Files,
        queue: RequestQueue,
        alert: Callable[[Alert], None],
    ) -> None:
        self.orders, self.pages, self.search, self.stores = orders, pages, search, stores
        self.records, self.files, self.queue, self.alert = records, files, queue, alert

    # ----------------------------------------------------------------- requests
    def ask(self, request: PrivacyRequest) -> PrivacyRequest:
        """A request staff make (or a webhook delivered), queued; NotFound for an unknown store."""
        if self.stores.find(request.store_id) is None:
            raise NotFound("unknown store", code="unknown_store")
        self.queue.send(request)
        return request

    def schedule(self, now: datetime) -> list[PrivacyRequest]:
        """Today's retention run of every store that keeps completed orders for a limited time."""
        queued = []
        for store in self.stores.all():
            days = store.settings.redact_completed_after_days
            if not days or store.erased_at is not None:
                continue
            request = PrivacyRequest(
                request_id=f"retention-{store.store_id}-{now:%Y-%m-%d}",
                kind=PrivacyKind.RETENTION,
                store_id=store.store_id,
                source="retention",
                requested_by="system:retention",
                received_at=now,
            )
            self.queue.send(request)
            queued.append(request)
        return queued

    def handle(
        self, request: PrivacyRequest, now: datetime, time_left: Callable[[], float]
    ) -> PrivacyOutcome:
        record, _ = self.records.start(request)
        if record.status is not PrivacyStatus.RUNNING:
            return PrivacyOutcome(request, "already")
        actor = Actor(name=request.requested_by, source_event=f"privacy:{request.request_id}", at=now)
        if request.kind is PrivacyKind.DATA_REQUEST:
            return self._data_request(request, now)
        if request.kind is PrivacyKind.REDACT:
            return self._redact_customer(request, actor, now)
        return self._redact_store_orders(request, actor, now, time_left)

    def _customer_orders(self, request: PrivacyRequest) -> list[tuple[Order, list[Shipment]]]:
        listed = set(order_ids(request.store_id, request.channel_order_ids))
        candidates = list(dict.fromkeys(sorted(listed)))
        customer = request.customer
        if customer is not None and customer.email:
            ask = SearchAsk(email_value(customer.email), frozenset({"email"}))
            cursor: str | None = None
            while True:
                found, cursor = self.search.find(ask, limit=PAGE, cursor=cursor)
                candidates += [
                    o for o in found if o.startswith(f"{request.store_id}.") and o not in candidates
                ]
                if cursor is None:
                    break
        out = []
        for order_id in candidates:
            order, shipments = self.orders.order_with_shipments(order_id)
            if order is None:
                continue
            if order_id in listed or (customer is not None and belongs_to(order, customer)):
                out.append((order, shipments))
        return out

    def _data_request(self, request: PrivacyRequest, now: datetime) -> PrivacyOutcome:
        found = self._customer_orders(request)
        orders = [o for o, _ in found]
        key = f"privacy/{request.request_id}.json"
        self.files.write(key, data_document(request, orders, [s for _, ss in found for s in ss]))
        ids = [o.order_id for o in orders]
        self.records.progress(request.request_id, ids)
        self.records.finish(request.request_id, PrivacyStatus.DONE, now, file_key=key)
        self.alert(
            Alert(
                subject=f"Customer data request {request.request_id} is ready",
                text=(
                    f"A customer of store {request.store_id} asked for their data ({request.source}"
                    f"{', request ' + request.channel_request_id if request.channel_request_id else ''}). "
                    f"Their {len(ids)} order(s) are in one file: GET /privacy/requests/{request.request_id} "
                    "gives a download link (valid an hour; the file is kept 7 days). Send it to the "
                    "customer the way your store answers data requests."
                ),
            )
        )
        return PrivacyOutcome(request, "done", ids)

    def _redact_customer(self, request: PrivacyRequest, actor: Actor, now: datetime) -> PrivacyOutcome:
        found = self._customer_orders(request)
        ids = [self._redact(order.order_id, request, actor) for order, _ in found]
        customer = request.customer
        needles = [*ids, *((customer.email, customer.phone) if customer else ())]
        outcome = PrivacyOutcome(request, "done", ids)
        outcome.files_deleted = self.files.delete_mentioning([n for n in needles if n])
        outcome.answers_forgotten = self.records.forget_answers([n for n in needles if n])
        self.records.progress(request.request_id, ids)
        self.records.finish(request.request_id, PrivacyStatus.DONE, now)
        return outcome

    def _redact_store_orders(
        self, request: PrivacyRequest, actor: Actor, now: datetime, time_left: Callable[[], float]
    ) -> PrivacyOutcome:
        store = self.stores.find(request.store_id)
        retention = request.kind is PrivacyKind.RETENTION
        days = store.settings.redact_completed_after_days if store else 0
        if retention and (store is None or not days):
            self.records.finish(request.request_id, PrivacyStatus.DONE, now)
            return PrivacyOutcome(request, "done")
        cutoff = now - timedelta(days=days) if retention else None
        done, cursor = list(request.done), request.cursor
        while True:
            page, cursor = self.pages.id_page(
                request.store_id,
                status="completed" if retention else None,
                placed_to=cutoff,
                cursor=cursor,
                now=now,
            )
            for order_id in page:
                if self._redact(order_id, request, actor, retention_days=days if retention else None):
                    done.append(order_id)
            self.records.progress(request.request_id, done)
            if cursor is None:
                break
            if time_left() < SPARE_SECONDS:
                rest = request.model_copy(update={"cursor": cursor, "done": done[-100:]})
                self.queue.send(rest)
                return PrivacyOutcome(rest, "continued", done)
        outcome = PrivacyOutcome(request, "done", done)
        if not retention:
            outcome.files_deleted = self.files.delete_mentioning([f"{request.store_id}."])
            outcome.answers_forgotten = self.records.forget_answers([f"{request.store_id}."])
            if store is not None and store.erased_at is None:
                self.stores.erase(store, now)
            if not request.request_id.endswith(SWEEP):
                again: dict[str, Any] = {
                    "request_id": f"{request.request_id}{SWEEP}"[:120],
                    "cursor": None,
                    "done": [],
                }
                self.queue.send(request.model_copy(update=again), delay_seconds=SWEEP_DELAY_SECONDS)
        self.records.finish(request.request_id, PrivacyStatus.DONE, now)
        return outcome

    def _redact(
        self, order_id: str, request: PrivacyRequest, actor: Actor, *, retention_days: int | None = None
    ) -> str:
        """The order redacted with its shipments (a no-op when it is already); its id, or "" when a
        retention run leaves it (not due)."""
        for _ in range(5):
            order, shipments = self.orders.order_with_shipments(order_id)
            if order is None:
                return ""
            if retention_days is not None and not due_for_retention(order, actor.at, retention_days):
                return ""
            change = redact_order(order, request.request_id, actor)
            if change is None:
                return order_id
            shipment_changes = [
                ShipmentChange(shipment=redacted, expected_version=s.version)
                for s in shipments
                if (redacted := redact_shipment(s)) is not None
            ]
            try:
                self.orders.save(finish(FulfilmentChange(order=change, shipments=shipment_changes)))
            except ConcurrentModification:
                continue
            return order_id
        raise ConcurrentModification(f"order {order_id} kept changing; the request will be retried")
