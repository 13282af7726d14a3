"""What the services need from storage and the outside world, as Protocols.

oms.data implements them on AWS; the unit tests (tests/unit) implement them in memory. A
repository commits a change all or nothing, or raises StockShortage / ConcurrentModification
(oms.errors) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from oms.backorders import HeldOrder
from oms.carriers.carrier import Carrier
from oms.fulfilment import FulfilmentChange
from oms.intake_message import IntakeMessage
from oms.line_identity import VariantMapping
from oms.models import Location, Order, StockLevel, Store
from oms.order_changes import OrderChange
from oms.order_search import SearchAsk, Term
from oms.shipments import Label, Shipment


class OrderReader(Protocol):
    def get(self, order_id: str) -> Order | None: ...


class OrderRecords(OrderReader, Protocol):
    def save(self, change: OrderChange) -> None: ...


class SearchTerms(Protocol):
    """The order search index (oms.order_search): term items per order, looked up by value."""

    def reindex(
        self, order_id: str, placed_at: datetime, old: frozenset[Term], new: frozenset[Term]
    ) -> int: ...
    def find(self, ask: SearchAsk, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]: ...


class OrderSummaries(Protocol):
    def summaries(self, order_ids: list[str]) -> list[dict[str, Any]]: ...


class HeldOrders(Protocol):
    def waiting_for(self, sku: str) -> list[HeldOrder]: ...


class Shipments(Protocol):
    """Orders with their shipments, and the changes that touch both."""

    def order_with_shipments(self, order_id: str) -> tuple[Order | None, list[Shipment]]: ...
    def get(self, shipment_id: str) -> Shipment: ...
    def save(self, change: FulfilmentChange) -> None: ...
    def tracking_due(self, now: datetime, *, limit: int) -> list[str]: ...
    def delivered_orders(self, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]: ...


class Stores(Protocol):
    def find(self, store_id: str) -> Store | None: ...


class Locations(Protocol):
    def all(self) -> list[Location]: ...


class StockLevels(Protocol):
    def available_at(self, skus: Sequence[str], locations: Sequence[str]) -> dict[tuple[str, str], int]: ...
    def totals(self, skus: list[str]) -> dict[str, StockLevel]: ...


class Variants(Protocol):
    def find(self, store_id: str, variant_keys: Sequence[str]) -> dict[str, VariantMapping]: ...
    def record_seen(self, seen: Sequence[VariantMapping]) -> None: ...


class Carriers(Protocol):
    def for_store(self, store: Store | None) -> Carrier: ...
    def for_label(self, label: Label) -> Carrier | None: ...


class IntakeQueue(Protocol):
    def enqueue(self, message: IntakeMessage) -> str: ...
