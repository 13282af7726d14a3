"""After the sale: staff cancel units of an order, refund it, and the channel's answer to a
refund is recorded. Each operation reads the order and its shipments, plans one change with the
pure rules (oms.cancellation, oms.refunds) and commits it at once (order, shipments, stock moves,
events); a change that lost a race with another is planned again on what won."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from oms.cancellation import Cancelled, cancel_units, follow_lines, units_to_cancel
from oms.claims import ClaimAsk, plan_claim, reshipment
from oms.customer_choices import Choosing, check
from oms.customer_choices import record as record_choice
from oms.domain_events import (
    OutboxEvent,
    claim_event,
    edit_event,
    lines_cancelled_event,
    numbered,
    order_updated_event,
)
from oms.errors import ConcurrentModification, Conflict, NotFound, StockShortage
from oms.fulfilment import FulfilmentChange, ShipmentChange, finish, shipment_event
from oms.models import (
    Address,
    Channel,
    Claim,
    EditPush,
    LineItem,
    Note,
    NoteVisibility,
    Order,
    OrderEdit,
    Refund,
    RefundStatus,
    Store,
)
from oms.money import Money
from oms.order_changes import Actor, OrderChange, freed_skus, retry_for
from oms.order_edits import EditAsk, address_for_pending, edit_push, plan_edit
from oms.order_lifecycle import OrderStatus
from oms.order_reconciliation import StockView
from oms.ports import IntakeQueue, Locations, Shipments, Stores
from oms.refunds import (
    LineAsk,
    RefundAsk,
    captured,
    find_refund,
    noted,
    plan_refund,
    refunded,
    settle,
    with_refund,
)
from oms.replacements import replacement_change
from oms.shipments import SHIPMENT_CHANGED, Shipment

ATTEMPTS = 5


@dataclass
class Cancellation:
    order: Order
    cancellation_id: str
    units: dict[str, int]  # line -> units cancelled (empty: nothing was left to cancel)
    refund: Refund | None


def refund_status_for(store: Store | None, order: Order) -> RefundStatus:
    """Money moves on the channel where the payment lives, when we may call it; else by hand."""
    if order.channel == Channel.MANUAL or store is None or not store.api_connected:
        return RefundStatus.MANUAL
    return RefundStatus.PENDING


class AfterSale:
    def __init__(
        self, shipments: Shipments, stores: Stores, locations: Locations, intake: IntakeQueue | None = None
    ) -> None:
        self.shipments, self.stores, self.locations, self.intake = shipments, stores, locations, intake

    # ------------------------------------------------------------------ reading
    def _read(self, order_id: str) -> tuple[Order, list[Shipment]]:
        order, shipments = self.shipments.order_with_shipments(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}", code="order_not_found")
        return order, shipments

    def refunds(self, order_id: str) -> tuple[Order, list[Refund]]:
        order, _ = self._read(order_id)
        return order, order.refunds

    # ------------------------------------------------------------------ cancel
    def cancel(
        self,
        order_id: str,
        *,
        reason: str,
        lines: list[tuple[str, int | None]] | None,
        refund: bool,
        note: str | None,
        notify_customer: bool,
        actor: Actor,
        cancellation_id: str | None = None,
        choice: Choosing | None = None,
    ) -> Cancellation:
        """Cancel the whole order or units of lines (see oms.cancellation); with ``refund``, what
        they were paid (and, for the whole order, its shipping) is refunded in the same change.
        ``choice``: the customer's choice this carries out, recorded in the same change (once)."""
        cancellation_id = cancellation_id or uuid.uuid4().hex[:24]

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange | None, Cancellation]:
            offer = check(order, choice) if choice else None
            if choice and offer is None:  # carried out already
                return None, Cancellation(order, cancellation_id, {}, None)
            units = units_to_cancel(order, shipments, lines)
            if not units:
                return None, Cancellation(order, cancellation_id, {}, None)
            why = f"cancelled by staff ({reason})"
            done = cancel_units(order, shipments, units, actor, view=StockView(), why=why)
            after = done.order
            for event in done.events:  # the order's own OrderCancelled: emailed only if asked
                event.detail["notify_customer"] = notify_customer
            if note:
                after = after.model_copy(
                    update={"notes": [*after.notes, Note(at=actor.at, author=actor.name, text=note)]}
                )
            made: Refund | None = None
            events = list(done.events)
            if refund and (captured(after) - refunded(after)).amount > 0:
                ask = RefundAsk(
                    lines=[LineAsk(line_id, n) for line_id, n in sorted(units.items())],
                    shipping="full" if lines is None else None,
                    amount=None,
                    reason=f"cancelled: {reason}",
                    notify_customer=notify_customer,
                )
                store = self.stores.find(order.store_id)
                refund_plan = plan_refund(
                    after,
                    shipments,
                    ask,
                    refund_id=f"{cancellation_id}-refund",
                    status=refund_status_for(store, order),
                    actor=actor,
                    locations=set(),
                )
                made = refund_plan.refund
                after, refund_events = with_refund(after, made, actor)
                events += refund_events
            events.append(
                lines_cancelled_event(
                    after,
                    cancellation_id,
                    units,
                    whole=lines is None,
                    reason=reason,
                    refund_id=made.refund_id if made else None,
                    notify_customer=notify_customer,
                    actor=actor.name,
                    at=actor.at,
                    freed_skus=freed_skus(done.moves),
                )
            )
            if choice and offer:
                after, chose = record_choice(after, offer, choice, actor)
                events.append(chose)
            change = _change(order, after, done, events)
            assert change.order is not None
            return change, Cancellation(change.order.order, cancellation_id, units, made)

        return self._commit(order_id, plan)

    # ------------------------------------------------------------------ refund
    def refund(self, order_id: str, ask: RefundAsk, *, actor: Actor, refund_id: str | None = None) -> Refund:
        """Record a refund (checked against what was captured) with the units it cancels and the
        stock it puts back; ``pending`` until the channel confirms it, or ``manual``. The same
        refund id again returns the refund it made."""
        refund_id = refund_id or uuid.uuid4().hex[:24]

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange | None, Refund]:
            existing = find_refund(order, refund_id)
            if existing is not None:
                return None, existing
            store = self.stores.find(order.store_id)
            locations = {loc.location_id for loc in self.locations.all()}
            refund_plan = plan_refund(
                order,
                shipments,
                ask,
                refund_id=refund_id,
                status=refund_status_for(store, order),
                actor=actor,
                locations=locations,
            )
            done = cancel_units(
                order,
                shipments,
                refund_plan.cancel,
                actor,
                view=StockView(),
                why="refunded before it shipped",
            )
            done.moves += refund_plan.moves
            after, events = with_refund(done.order, refund_plan.refund, actor, freed=freed_skus(done.moves))
            return _change(order, after, done, [*done.events, *events]), refund_plan.refund

        return self._commit(order_id, plan)

    # ------------------------------------------------------------------ edit
    def edit(
        self,
        order_id: str,
        ask: EditAsk,
        *,
        refund_owed: bool,
        actor: Actor,
        edit_id: str | None = None,
        choice: Choosing | None = None,
    ) -> tuple[Order, OrderEdit]:
        """Edit an order not yet shipped (oms.order_edits): its new reservations and released ones
        in one transaction with it, all or nothing (409 ``insufficient_stock`` naming the short
        SKUs); what is new is allocated by the fulfilment function (OrderUpdated). With
        ``refund_owed``, what the order is worth less is refunded in the same change. A held
        order is decided again afterwards (the edit may have removed what it was short of)."""
        edit_id = edit_id or uuid.uuid4().hex[:16]

        def plan(
            order: Order, shipments: list[Shipment]
        ) -> tuple[FulfilmentChange | None, tuple[Order, OrderEdit]]:
            known = next((e for e in order.edits if e.edit_id == edit_id), None)
            if known is not None:
                return None, (order, known)
            offer = check(order, choice) if choice else None
            change, done = self._plan_edit(
                order, shipments, ask, edit_id, refund_owed=refund_owed, actor=actor
            )
            if choice and offer and change.order is not None:
                change.order.order, chose = record_choice(change.order.order, offer, choice, actor)
                change.order.events = numbered(
                    [*change.order.events, chose], f"{order.order_id}:{change.order.order.version}"
                )
                done = (change.order.order, done[1])
            return change, done

        try:
            order, record = self._commit(order_id, plan)
        except StockShortage as short:
            raise Conflict(
                "not enough stock for the edit: "
                + ", ".join(f"{s.sku} needs {s.requested}, has {s.available}" for s in short.short),
                code="insufficient_stock",
                details=[
                    {"sku": s.sku, "requested": s.requested, "available": s.available} for s in short.short
                ],
            ) from short
        if order.status == OrderStatus.ON_HOLD and self.intake is not None:
            self.intake.enqueue(retry_for(order, actor))
        return order, record

    def _plan_edit(
        self,
        order: Order,
        shipments: list[Shipment],
        ask: EditAsk,
        edit_id: str,
        *,
        refund_owed: bool,
        actor: Actor,
    ) -> tuple[FulfilmentChange, tuple[Order, OrderEdit]]:
        edited = plan_edit(order, shipments, ask, edit_id=edit_id)
        done = follow_lines(
            edited.order, shipments, edited.cancel, actor, view=StockView(), why="edited by staff"
        )
        if ask.shipping_address is not None:
            _readdress(done, shipments, ask.shipping_address, actor)
        after, events = done.order, list(done.events)
        made: Refund | None = None
        owed = -edited.difference.amount
        if refund_owed and owed > 0 and edited.cancel and (captured(after) - refunded(after)).amount > 0:
            ask_refund = RefundAsk(
                lines=[LineAsk(k, v) for k, v in sorted(edited.cancel.items())],
                shipping=None,
                amount=None,
                reason="order edited",
                notify_customer=False,
            )
            status = refund_status_for(self.stores.find(order.store_id), order)
            made = plan_refund(
                after,
                shipments,
                ask_refund,
                refund_id=f"{edit_id}-refund",
                status=status,
                actor=actor,
                locations=set(),
            ).refund
            after, refund_events = with_refund(after, made, actor)
            events += refund_events
        push, pushed = edit_push(
            self.stores.find(order.store_id), order, lines_changed=bool(edited.added or edited.cancel)
        )
        record = OrderEdit(
            edit_id=edit_id,
            added=[line.line_id for line in edited.added],
            changed=edited.changed,
            address_changed=ask.shipping_address is not None,
            difference=edited.difference,
            refund_id=made.refund_id if made else None,
            note=ask.note,
            pushed=pushed,
            push=push,
            actor=actor.name,
            at=actor.at,
        )
        words = (
            f"edited ({len(edited.added)} line(s) added, {len(edited.changed)} changed"
            + (", address changed" if record.address_changed else "")
            + f"; difference {edited.difference}); {record.pushed}"
        )
        after = noted(after.model_copy(update={"edits": [*after.edits, record]}), words, actor)
        changed = (["lines"] if edited.added or edited.cancel else []) + (
            ["shipping_address"] if record.address_changed else []
        )
        events += [
            order_updated_event(after, changed, actor.at),
            edit_event("OrderEdited", after, record, actor.name, actor.at),
        ]
        change = _change(order, after, done, events)
        assert change.order is not None
        return change, (change.order.order, record)

    # ------------------------------------------------------------------ claims
    def claim(self, order_id: str, ask: ClaimAsk, *, actor: Actor) -> tuple[Order, Claim]:
        """A claim (oms.claims) recorded on the order with its remedy, in one transaction: a
        replacement order with its stock reserved (409 ``insufficient_stock`` when short), or a
        refund of the claimed units (never more than was captured)."""

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange, tuple[Order, Claim]]:
            claim = plan_claim(order, shipments, ask, actor)
            also: list[OrderChange] = []
            events: list[OutboxEvent] = []
            after = order
            if claim.resolution == "reship":
                of = claim.claim_id.rsplit("-", 1)[1]
                zero = Money.zero(order.currency)
                replacement = replacement_change(
                    order,
                    of,
                    reshipment(order, claim),
                    replaces=claim.claim_id,
                    owed=zero,
                    wait_for=None,
                    actor=actor,
                )
                finish(FulfilmentChange(order=replacement))
                also.append(replacement)
                claim = claim.model_copy(update={"replacement_order_id": replacement.order.order_id})
                words = f"claim {claim.claim_id} ({claim.type}): sent again as {replacement.order.number}"
            else:
                store = self.stores.find(order.store_id)
                refund_ask = RefundAsk(
                    lines=[LineAsk(x.line_id, x.quantity) for x in claim.lines],
                    shipping=None,
                    amount=None,
                    reason=f"claim {claim.claim_id}: {claim.type}",
                    note=claim.note,
                )
                refund_plan = plan_refund(
                    order,
                    shipments,
                    refund_ask,
                    refund_id=f"{claim.claim_id}-refund",
                    status=refund_status_for(store, order),
                    actor=actor,
                    locations=set(),
                )
                claim = claim.model_copy(update={"refund_id": refund_plan.refund.refund_id})
                after, events = with_refund(after, refund_plan.refund, actor)
                words = f"claim {claim.claim_id} ({claim.type}): refunded"
            after = noted(after.model_copy(update={"claims": [*after.claims, claim]}), words, actor)
            events.append(claim_event(after, claim, actor.at))
            change = finish(FulfilmentChange(order=OrderChange(after, order.version, events=events)))
            change.also = also
            return change, (after, claim)

        try:
            return self._commit(order_id, plan)
        except StockShortage as short:
            raise Conflict(
                "not enough stock to send it again: " + ", ".join(s.sku or "?" for s in short.short),
                code="insufficient_stock",
                details=[s.model_dump(mode="json") for s in short.short],
            ) from None

    def record_outcome(
        self,
        order_id: str,
        refund_id: str,
        status: RefundStatus,
        actor: Actor,
        *,
        channel_refund_id: str | None = None,
        message: str | None = None,
    ) -> Refund | None:
        """The channel's answer to a pending refund, recorded once."""

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange | None, Refund | None]:
            settled = settle(
                order, refund_id, status, actor, channel_refund_id=channel_refund_id, message=message
            )
            if settled is None:
                return None, find_refund(order, refund_id)
            after, events = settled
            change = OrderChange(order=after, expected_version=order.version, events=events)
            return finish(FulfilmentChange(order=change)), find_refund(after, refund_id)

        return self._commit(order_id, plan)

    def choose(self, order_id: str, choice: Choosing, actor: Actor) -> Order:
        """Record a choice that changes nothing else (the customer waits)."""

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange | None, Order]:
            offer = check(order, choice)
            if offer is None:
                return None, order
            after, event = record_choice(order, offer, choice, actor)
            change = OrderChange(order=after, expected_version=order.version, events=[event])
            done = finish(FulfilmentChange(order=change))
            assert done.order is not None
            return done, done.order.order

        return self._commit(order_id, plan)

    def record_edit_push(
        self,
        order_id: str,
        edit_id: str,
        push: EditPush,
        text: str,
        channel_lines: dict[str, str],
        actor: Actor,
    ) -> Order | None:
        """The channel's answer to an edit pushed to it: the edit's state and words, and the
        channel's ids for the lines it added (so its later views of the order are taken as ours);
        once (a repeated answer changes nothing)."""

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange | None, Order | None]:
            edit = order.edit(edit_id)
            if edit is None:
                return None, None
            lines = {k: v for k, v in channel_lines.items() if k in set(edit.added)}
            if edit.push == push and all(order.channel_line(k) == v for k, v in lines.items()):
                return None, order

            def mapped(line: LineItem) -> LineItem:
                if line.line_id in lines:
                    return line.model_copy(update={"channel_line_id": lines[line.line_id]})
                return line

            done = edit.model_copy(update={"push": push, "pushed": text[:1000]})
            after = order.model_copy(
                update={
                    "lines": [mapped(line) for line in order.lines],
                    "added_lines": [mapped(line) for line in order.added_lines],
                    "edits": [done if e.edit_id == edit_id else e for e in order.edits],
                    "updated_at": actor.at,
                }
            )
            after = noted(after, f"edit {edit_id}: {done.pushed}", actor)
            event = edit_event("OrderEditPushed", after, done, actor.name, actor.at)
            change = OrderChange(order=after, expected_version=order.version, events=[event])
            return finish(FulfilmentChange(order=change)), after

        return self._commit(order_id, plan)

    def record_push_problem(self, order_id: str, text: str, actor: Actor) -> None:
        """A channel that refused what we pushed: said on the order (internal note), never dropped."""

        def plan(order: Order, shipments: list[Shipment]) -> tuple[FulfilmentChange | None, None]:
            if any(n.text == text for n in order.notes):
                return None, None
            note = Note(at=actor.at, author=actor.name, text=text[:2000], visibility=NoteVisibility.INTERNAL)
            after = order.model_copy(update={"notes": [*order.notes, note], "updated_at": actor.at})
            return finish(
                FulfilmentChange(order=OrderChange(order=after, expected_version=order.version))
            ), None

        self._commit(order_id, plan)

    # ------------------------------------------------------------------ helpers
    def _commit[T](
        self, order_id: str, plan: Callable[[Order, list[Shipment]], tuple[FulfilmentChange | None, T]]
    ) -> T:
        for _ in range(ATTEMPTS):
            order, shipments = self._read(order_id)
            change, result = plan(order, shipments)
            if change is None:
                return result
            try:
                self.shipments.save(change)
            except ConcurrentModification:
                continue
            return result
        raise Conflict(f"order {order_id} is being changed; try again", code="concurrent_update")


def _readdress(done: Cancelled, shipments: list[Shipment], address: Address, actor: Actor) -> None:
    """Pending shipments go to the new address (a bought label is voided: it names the old one)."""
    changes = {c.shipment.shipment_id: c for c in done.shipments}
    current = [changes[s.shipment_id].shipment if s.shipment_id in changes else s for s in shipments]
    for readdressed in address_for_pending(current, address):
        change = changes.get(readdressed.shipment_id)
        if change is None:
            original = next(s for s in shipments if s.shipment_id == readdressed.shipment_id)
            change = ShipmentChange(shipment=readdressed, expected_version=original.version)
            done.shipments.append(change)
        change.shipment = readdressed.model_copy(update={"updated_at": actor.at})
        change.events = [shipment_event(change.shipment, SHIPMENT_CHANGED, actor.at)]


def _change(base: Order, after: Order, done: Cancelled, events: list[OutboxEvent]) -> FulfilmentChange:
    order_change = OrderChange(order=after, expected_version=base.version, moves=done.moves, events=events)
    return finish(FulfilmentChange(order=order_change, shipments=done.shipments))
