"""Telling the store a shipment left (oms.channel_push plans the steps), each step at most once per
shipment: a retry after a half-done push repeats only what did not happen. A failed call is raised
for the queue to retry; the order itself is never touched by the channel's answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from oms.channel_push import PushPlan, plan_note_push, plan_push
from oms.integrations.http_transport import Transport
from oms.models import Store
from oms.ports import Shipments

Once = Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]]


class ChannelStores(Protocol):
    def find(self, store_id: str) -> Store | None: ...
    def api_credentials(self, store: Store) -> dict[str, Any] | None: ...


@dataclass
class PushReport:
    shipment_id: str  # or the note's id, for a note
    skipped: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)  # each step's name and result


class ChannelSyncService:
    def __init__(self, shipments: Shipments, stores: ChannelStores, transport: Transport, once: Once) -> None:
        self.shipments, self.stores, self.transport, self.once = shipments, stores, transport, once

    def push(self, order_id: str, shipment_id: str) -> PushReport:
        order, all_shipments = self.shipments.order_with_shipments(order_id)
        shipment = next((s for s in all_shipments if s.shipment_id == shipment_id), None)
        if shipment is None:
            return PushReport(shipment_id, skipped="the shipment no longer exists")
        store = self.stores.find(shipment.store_id)
        credentials = self.stores.api_credentials(store) if store else None
        plan = plan_push(store, order, shipment, credentials, self.transport)
        if plan.skipped:
            return PushReport(shipment_id, skipped=plan.skipped)
        return self._run(PushReport(shipment_id), plan, shipment_id)

    def push_note(self, order_id: str, note_id: str) -> PushReport:
        """A customer note to the order's channel, once (keyed by the note)."""
        order, _ = self.shipments.order_with_shipments(order_id)
        store = self.stores.find(order.store_id) if order else None
        credentials = self.stores.api_credentials(store) if store else None
        plan = plan_note_push(store, order, note_id, credentials, self.transport)
        if plan.skipped:
            return PushReport(note_id, skipped=plan.skipped)
        return self._run(PushReport(note_id), plan, f"{order_id}:note:{note_id}")

    def _run(self, report: PushReport, plan: PushPlan, key: str) -> PushReport:
        for step in plan.steps:
            result = self.once(f"{key}:{step.name}", step.run)
            report.steps.append({"step": step.name, **result})
        return report
