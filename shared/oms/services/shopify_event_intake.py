"""Shopify's webhooks through Amazon EventBridge, onto the intake queue (oms.shopify_event_source
reads them): the shop's domain names the registered store, and the order goes the way a signed
webhook's goes. An event for a shop not registered here, or one that is not a Shopify delivery,
is raised: it is retried and then kept in the queue's DLQ (alarmed), to be redriven once the store
is registered, never dropped."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from oms.errors import NotFound
from oms.ports import IntakeQueue
from oms.shopify_event_source import intake_message, read_event

REFRESH_SECONDS = 30.0  # a shop we do not know yet: the store list is read again at most this often


class ShopifyShops(Protocol):
    def shopify_shops(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class Received:
    status: str  # queued | ignored
    store_id: str
    topic: str
    message_id: str | None = None


class ShopifyEventIntake:
    def __init__(
        self, shops: ShopifyShops, intake: IntakeQueue, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.shops, self.intake, self.clock = shops, intake, clock
        self._known: dict[str, str] = {}
        self._read_at: float | None = None

    def receive(self, event: Mapping[str, Any], now: datetime) -> Received:
        delivery = read_event(event)
        store_id = self._store_for(delivery.shop_domain)
        message = intake_message(delivery, store_id, now)
        if message is None:
            return Received("ignored", store_id, delivery.topic[:100])
        return Received("queued", store_id, delivery.topic, self.intake.enqueue(message))

    def _store_for(self, shop_domain: str) -> str:
        store_id = self._known.get(shop_domain)
        stale = self._read_at is None or self.clock() - self._read_at >= REFRESH_SECONDS
        if store_id is None and stale:
            self._known, self._read_at = self.shops.shopify_shops(), self.clock()
            store_id = self._known.get(shop_domain)
        if store_id is None:
            raise NotFound("no Shopify store is registered for this shop", code="unknown_store")
        return store_id
