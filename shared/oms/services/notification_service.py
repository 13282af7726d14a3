"""Telling customers and staff about an event, each notification once (oms.notifications decides
what to send; the sender is SES and SNS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from oms.notifications import NEEDS_ORDER, ChoiceUrl, Notification, ReturnUrl, plan
from oms.ports import OrderReader, Stores


class Sender(Protocol):
    @property
    def email_enabled(self) -> bool: ...
    def send(self, notification: Notification) -> None: ...


Once = Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]]


@dataclass
class Notified:
    event_type: str
    order_id: str | None
    planned: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # sent now (not already sent by an earlier delivery)


class NotificationService:
    def __init__(
        self,
        orders: OrderReader,
        stores: Stores,
        sender: Sender,
        once: Once,
        choice_url: ChoiceUrl | None = None,
        return_url: ReturnUrl | None = None,
    ) -> None:
        self.orders, self.stores, self.sender, self.once = orders, stores, sender, once
        self.choice_url, self.return_url = choice_url, return_url

    def notify(self, event: dict[str, Any]) -> Notified:
        """One EventBridge event. Each notification is keyed by our event id and its position: a
        redelivered event re-sends nothing that went out, and a failure after a partial send
        re-sends only what is missing. (The EventBridge id changes if the publisher re-puts an
        event; our own id does not.)"""
        detail = event.get("detail") or {}
        event_id = str(detail.get("event_id") or event.get("id"))
        kind = str(event.get("detail-type", ""))
        order = store = None
        if kind in NEEDS_ORDER and detail.get("order_id"):
            order = self.orders.get(detail["order_id"])
            store = self.stores.find(detail.get("store_id", ""))
        planned = plan(
            event,
            order,
            store,
            email_enabled=self.sender.email_enabled,
            choice_url=self.choice_url,
            return_url=self.return_url,
        )
        notified = Notified(kind, detail.get("order_id"), [type(n).__name__ for n in planned])
        for i, notification in enumerate(planned):
            key = f"{event_id}:{i}:{type(notification).__name__}"
            self.once(key, partial(self._send, notification, notified))
        return notified

    def _send(self, notification: Notification, notified: Notified) -> dict[str, Any]:
        self.sender.send(notification)
        notified.sent.append(type(notification).__name__)
        return {"sent": type(notification).__name__}
