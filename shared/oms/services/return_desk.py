"""Returns (oms.returns), from request to refund: staff's and customers' requests checked against the
store's policy, approval (a return label bought from the store's carrier, or none; an exchange's
replacement reserved), the return parcel tracked, receiving per line (restocked once at a
location, written off, or missing), and the refund through the after-sale refund operation
(oms.services.after_sale), at the moment the policy says.

Every step reads the return (and the orders it changes) and writes it back with a version check,
in one transaction with the order's change, its stock moves and the replacement order: a step that
loses a race is read and made again; a step asked twice changes nothing the second time. The
refund is made under the return's own refund id, so a refund made before a crash is found, not
made again; a label bought by a step that then lost its race is voided.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from oms.cancellation import line_states
from oms.carriers.carrier import (
    Carrier,
    CarrierRejected,
    CarrierUnavailable,
    TrackContext,
    choose_rate,
    parcel_for,
)
from oms.claims import ClaimAsk
from oms.domain_events import OutboxEvent, return_event
from oms.errors import BadRequest, ConcurrentModification, Conflict, NotFound, StockShortage
from oms.fulfilment import FulfilmentChange, finish
from oms.identifiers import return_id_for
from oms.models import Address, Claim, Location, Order, RateChoice, Refund, Reservation, Store, StoreSettings
from oms.money import Money
from oms.order_changes import Actor, MoveKind, OrderChange, StockMove, transition
from oms.order_lifecycle import OrderStatus, can_transition
from oms.ports import Carriers, Locations, OrderReader, Shipments, Stores
from oms.refunds import LineAsk, RefundAsk, find_refund
from oms.replacements import ReplacementLine, release_replacement, replacement_change, waiting_for_return
from oms.return_lifecycle import EVENT_TYPE, ReturnStatus
from oms.returns import (
    ExchangeAsk,
    ExchangeLine,
    LineReceipt,
    LineReturn,
    Return,
    ReturnEntry,
    auto_approves,
    check_exchange,
    defer_tracking,
    exchange_owed,
    final_sale,
    move,
    plan_lines,
    receipt_moves,
    receive_lines,
    refund_due,
    returnable,
    track,
    window_closes,
)
from oms.shipments import Label, Shipment, ShipmentLine

R = ReturnStatus
ATTEMPTS = 5
APPROVED_ALREADY = frozenset({R.APPROVED, R.IN_TRANSIT, R.RECEIVED, R.REFUNDED, R.EXCHANGED, R.CLOSED})


class ReturnRecords(Protocol):
    def get(self, return_id: str) -> Return: ...
    def of_order(self, order_id: str) -> list[Return]: ...
    def save(
        self,
        ret: Return,
        events: list[OutboxEvent],
        *,
        expected_version: int | None,
        order: OrderChange | None = None,
        also: list[OrderChange] | None = None,
    ) -> Return: ...
    def tracking_due(self, now: datetime, *, limit: int) -> list[str]: ...


class Refunds(Protocol):
    def refund(
        self, order_id: str, ask: RefundAsk, *, actor: Actor, refund_id: str | None = None
    ) -> Refund: ...
    def claim(self, order_id: str, ask: ClaimAsk, *, actor: Actor) -> tuple[Order, Claim]: ...


@dataclass
class Returnable:
    """What may come back from an order now, per line, under the store's policy."""

    order: Order
    settings: StoreSettings
    lines: dict[str, int]  # line -> units that may still come back (0: none)
    shipped: dict[str, int]  # line -> units that left
    final_sale: set[str]  # lines of final-sale SKUs
    window_closes: datetime | None

    @property
    def open(self) -> bool:
        return any(self.lines.values())


class ReturnDesk:
    def __init__(
        self,
        shipments: Shipments,
        orders: OrderReader,
        returns: ReturnRecords,
        stores: Stores,
        locations: Locations,
        refunds: Refunds,
        carriers: Carriers,
    ) -> None:
        self.shipments, self.orders, self.returns = shipments, orders, returns
        self.stores, self.locations, self.refunds, self.carriers = stores, locations, refunds, carriers

    # ----------------------------------------------------------------- reading
    def get(self, return_id: str) -> Return:
        return self.returns.get(return_id)

    def of_order(self, order_id: str) -> list[Return]:
        return self.returns.of_order(order_id)

    def _order(self, order_id: str) -> tuple[Order, list[Shipment], StoreSettings, Store | None]:
        order, shipments = self.shipments.order_with_shipments(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}", code="order_not_found")
        store = self.stores.find(order.store_id)
        return order, shipments, store.settings if store else StoreSettings(), store

    def returnable(self, order_id: str, now: datetime) -> Returnable:
        order, shipments, settings, _ = self._order(order_id)
        closes = window_closes(order, shipments, settings.return_window_days)
        left = returnable(order, shipments)
        sale = {x.line_id for x in order.lines if final_sale(settings.returns, x.stock_item or x.sku)}
        closed = closes is None or now > closes
        lines = {k: 0 if closed or k in sale else v for k, v in left.items()}
        shipped = {k: v.shipped for k, v in line_states(order, shipments).items()}
        return Returnable(order, settings, lines, shipped, sale, closes)

    # ----------------------------------------------------------------- request
    def request(
        self,
        order_id: str,
        asks: list[LineReturn],
        *,
        actor: Actor,
        source: Literal["staff", "customer"],
        exchange: list[ExchangeAsk] | None = None,
        override: str | None = None,
    ) -> Return:
        """A return of ``asks`` (with replacements, for an exchange). Its units count against the
        order's lines at once, in the same transaction, so two returns made together never take
        more than left. A customer's return is approved at once when the store's policy allows."""
        for _ in range(ATTEMPTS):
            order, shipments, settings, _ = self._order(order_id)
            policy = settings.returns
            lines = plan_lines(
                order,
                shipments,
                asks,
                policy,
                window_days=settings.return_window_days,
                now=actor.at,
                override=override,
            )
            n = order.return_count + 1
            who = "staff" if source == "staff" else "the customer"
            words = f"policy overridden: {override}" if override else f"asked for by {who}"
            ret = Return(
                return_id=return_id_for(order.order_id, n),
                order_id=order.order_id,
                store_id=order.store_id,
                channel=order.channel.value,
                number=order.number,
                status=R.REQUESTED,
                lines=lines,
                exchange=[
                    ExchangeLine(
                        sku=x.sku,
                        name=x.name,
                        quantity=x.quantity,
                        unit_price=Money.of(x.unit_price, order.currency)
                        if x.unit_price is not None
                        else None,
                    )
                    for x in exchange or []
                ],
                source=source,
                override=override,
                timeline=[ReturnEntry(at=actor.at, to_status=R.REQUESTED, reason=words, actor=actor.name)],
                created_at=actor.at,
                updated_at=actor.at,
            )
            check_exchange(ret, order.currency)
            returned = dict(order.returned)
            for line in lines:
                returned[line.line_id] = returned.get(line.line_id, 0) + line.quantity
            changed = order.model_copy(
                update={"returned": returned, "return_count": n, "updated_at": actor.at}
            )
            change = OrderChange(order=changed, expected_version=order.version)
            finish(FulfilmentChange(order=change))
            try:
                saved = self.returns.save(
                    ret,
                    [return_event("ReturnRequested", ret, actor.name, actor.at)],
                    expected_version=None,
                    order=change,
                )
            except ConcurrentModification:
                continue
            closes = window_closes(order, shipments, settings.return_window_days)
            within = closes is not None and actor.at <= closes
            if source == "customer" and auto_approves(policy, lines, within):
                return self.approve(saved.return_id, label="carrier", actor=actor)
            return saved
        raise Conflict(f"order {order_id} is being changed; try again", code="concurrent_update")

    def claim(self, order_id: str, ask: ClaimAsk, *, actor: Actor) -> tuple[Order, Claim]:
        """A claim (oms.claims): reshipped or refunded by the after-sale operation."""
        return self.refunds.claim(order_id, ask, actor=actor)

    # ----------------------------------------------------------------- approve
    def approve(self, return_id: str, *, label: Literal["carrier", "none"], actor: Actor) -> Return:
        """Approved, with a return label from the store's carrier (or none: the customer sends it
        their way) and, for an exchange, the replacement reserved (all or nothing: a short SKU
        turns the exchange into a refund). Approving again changes nothing."""
        for _ in range(ATTEMPTS):
            ret = self.returns.get(return_id)
            if ret.status in APPROVED_ALREADY:
                return ret
            move(ret, R.APPROVED, actor)  # raises for a declined or cancelled return
            order, _, settings, store = self._order(ret.order_id)
            carrier, bought, why = (
                self._label(ret, order, settings, store) if label == "carrier" else (None, None, None)
            )
            approved = move(ret, R.APPROVED, actor, reason=why or _label_words(bought))
            if bought is not None:
                tracking = approved.tracking.model_copy(
                    update={"next_check_at": actor.at + timedelta(hours=12)}
                )
                approved = approved.model_copy(update={"label": bought, "tracking": tracking})
            events = [return_event("ReturnApproved", approved, actor.name, actor.at)]
            replacement: OrderChange | None = None
            if ret.exchange:
                replacement, approved = self._replacement(approved, order, settings, actor)
                events.append(return_event("ExchangeCreated", approved, actor.name, actor.at))
            try:
                try:
                    saved = self.returns.save(
                        approved, events, expected_version=ret.version, order=replacement
                    )
                except StockShortage as short:
                    approved = _exchange_short(approved, [s.sku or "" for s in short.short], actor)
                    events = [return_event("ReturnApproved", approved, actor.name, actor.at)]
                    saved = self.returns.save(approved, events, expected_version=ret.version)
            except ConcurrentModification:
                if carrier is not None and bought is not None:
                    carrier.void(bought)
                continue
            if settings.returns.refund_on == "approval":
                return self.refund(return_id, actor=actor)
            return saved
        raise Conflict(f"return {return_id} is being changed; try again", code="concurrent_update")

    def _label(
        self, ret: Return, order: Order, settings: StoreSettings, store: Store | None
    ) -> tuple[Carrier | None, Label | None, str | None]:
        """A return label for the return's lines (the store's carrier, its cheapest rate), from the
        customer to the store's return location; none when the store ships by hand."""
        customer = order.address_override or order.shipping_address
        if customer is None:
            return None, None, "approved without a label: the order has no address to send one from"
        location = self._return_location(settings)
        parcel = Shipment(
            shipment_id=ret.return_id,
            order_id=ret.order_id,
            store_id=ret.store_id,
            channel=ret.channel,
            number=ret.number,
            location=location.location_id,
            lines=[
                ShipmentLine(line_id=x.line_id, sku=x.sku, name=x.name, quantity=x.quantity)
                for x in ret.lines
            ],
            ship_to=customer,
            created_at=ret.created_at,
            updated_at=ret.updated_at,
        )
        carrier = self.carriers.for_store(store)
        try:
            rates = carrier.rates(
                parcel,
                parcel_for(parcel, settings.default_box),
                _address_of(location),
                customer,
                is_return=True,
            )
        except BadRequest as refused:
            if refused.code == "manual_shipping":
                return None, None, "approved without a label: the store ships by hand"
            raise
        rate = choose_rate(rates, RateChoice.CHEAPEST, None)
        return carrier, carrier.buy(parcel, rate, scenario=settings.sandbox_scenario), None

    def _return_location(self, settings: StoreSettings) -> Location:
        locations = [x for x in self.locations.all() if x.active]
        wanted = settings.returns.return_location or next(iter(settings.location_priority), None)
        found = next((x for x in locations if x.location_id == wanted), None) or next(iter(locations), None)
        if found is None:
            raise Conflict(
                "no location to send returns to: add one (PUT /locations/{id})", code="no_return_location"
            )
        return found

    def _replacement(
        self, ret: Return, order: Order, settings: StoreSettings, actor: Actor
    ) -> tuple[OrderChange, Return]:
        """The exchange's replacement order: reserved now; on hold until the return arrives (when
        the store ships exchanges on receipt) and until what the customer owes is paid."""
        owed = exchange_owed(ret)
        lines = _replacement_lines(ret, order.currency)
        wait = waiting_for_return(ret.return_id) if settings.returns.exchange_ships_on == "receipt" else None
        of = ret.return_id.rsplit("-", 1)[1]
        change = replacement_change(
            order, of, lines, replaces=ret.return_id, owed=owed, wait_for=wait, actor=actor
        )
        finish(FulfilmentChange(order=change))
        updated = ret.model_copy(
            update={
                "replacement_order_id": change.order.order_id,
                "exchange_owed": owed if owed.amount > 0 else None,
            }
        )
        return change, updated

    # ----------------------------------------------------------------- decline / cancel
    def decline(self, return_id: str, *, reason: str, actor: Actor) -> Return:
        return self._close_unreceived(return_id, R.DECLINED, actor, reason)

    def cancel(self, return_id: str, *, reason: str | None, actor: Actor) -> Return:
        return self._close_unreceived(return_id, R.CANCELLED, actor, reason)

    def _close_unreceived(self, return_id: str, to: ReturnStatus, actor: Actor, reason: str | None) -> Return:
        """Declined or cancelled before anything came in: its units no longer count on the order's
        lines, its label is voided and its replacement (not shipped) cancelled with its stock."""
        for _ in range(ATTEMPTS):
            ret = self.returns.get(return_id)
            if ret.status == to:
                return ret
            if any(x.counted for x in ret.lines) or ret.refund_id:
                raise Conflict("this return was received or refunded already", code="return_received")
            closed = move(ret, to, actor, reason=reason)
            if to == R.DECLINED:
                closed = closed.model_copy(update={"declined_reason": reason})
            order, _, _, store = self._order(ret.order_id)
            returned = dict(order.returned)
            for line in ret.lines:
                returned[line.line_id] = max(0, returned.get(line.line_id, 0) - line.quantity)
            change = OrderChange(
                order=order.model_copy(update={"returned": returned, "updated_at": actor.at}),
                expected_version=order.version,
            )
            finish(FulfilmentChange(order=change))
            also = self._cancel_replacement(ret, actor)
            try:
                saved = self.returns.save(
                    closed,
                    [return_event(EVENT_TYPE[to], closed, actor.name, actor.at, reason=reason)],
                    expected_version=ret.version,
                    order=change,
                    also=also,
                )
            except ConcurrentModification:
                continue
            if ret.label is not None:
                with contextlib.suppress(
                    CarrierUnavailable, CarrierRejected
                ):  # an unused label costs nothing
                    self.carriers.for_store(store).void(ret.label)
            return saved
        raise Conflict(f"return {return_id} is being changed; try again", code="concurrent_update")

    def _cancel_replacement(self, ret: Return, actor: Actor) -> list[OrderChange]:
        """The replacement order cancelled and its reservation released (written with the return);
        one a location is working on is left to staff (409)."""
        if not ret.replacement_order_id:
            return []
        replacement = self.orders.get(ret.replacement_order_id)
        if replacement is None or replacement.status == OrderStatus.CANCELLED:
            return []
        busy = replacement.reservation.allocated or replacement.reservation.committed
        if busy or not can_transition(replacement.status, OrderStatus.CANCELLED):
            raise Conflict(
                f"the exchange's replacement {replacement.order_id} is being fulfilled: cancel it first",
                code="replacement_in_fulfilment",
            )
        why = f"return {ret.return_id} closed"
        cancelled, event = transition(replacement, OrderStatus.CANCELLED, actor, reason=why)
        cancelled = cancelled.model_copy(update={"reservation": Reservation()})
        moves = [
            StockMove(sku, n, MoveKind.RELEASE)
            for sku, n in sorted(replacement.reservation.reserved.items())
            if n
        ]
        return [_finished(OrderChange(cancelled, replacement.version, moves, [event]))]

    # ----------------------------------------------------------------- receive
    def receive(self, return_id: str, receipts: list[LineReceipt], *, actor: Actor) -> Return:
        """Units counted in: restocked at a location (on hand again, once), damaged (written off)
        or missing. Once every unit that left is back, the order is returned; an exchange waiting
        for the return is released; the refund follows when the policy says (at receipt, once
        every line is counted)."""
        for _ in range(ATTEMPTS):
            ret = self.returns.get(return_id)
            if ret.status not in (R.APPROVED, R.IN_TRANSIT, R.RECEIVED):
                move(ret, R.RECEIVED, actor)  # raises what is true: not approved yet, or settled
            order, shipments, settings, _ = self._order(ret.order_id)
            default = self._return_location(settings).location_id
            counted = receive_lines(ret, receipts, default)
            known = {x.location_id for x in self.locations.all()}
            unknown = [x.location_id for x in counted.lines if x.restocked and x.location_id not in known]
            if unknown:
                raise BadRequest(f"unknown location {unknown[0]!r}", code="unknown_location")
            stock = receipt_moves(ret, counted)
            received = move(counted, R.RECEIVED, actor, reason="; ".join(stock.written_off) or "counted in")
            received = received.model_copy(update={"written_off": [*ret.written_off, *stock.written_off]})
            back_order, order_events = _after_return(order, shipments, self._back(order, received), actor)
            order_change = OrderChange(
                order=back_order, expected_version=order.version, moves=stock.moves, events=order_events
            )
            finish(FulfilmentChange(order=order_change))
            also = self._release_exchange(received, actor) if received.fully_counted else []
            events = [return_event("ReturnReceived", received, actor.name, actor.at, freed=stock.freed)]
            try:
                saved = self.returns.save(
                    received, events, expected_version=ret.version, order=order_change, also=also
                )
            except ConcurrentModification:
                continue
            if saved.fully_counted:  # refunded now, or (refunded before) closed
                return self.refund(return_id, actor=actor)
            return saved
        raise Conflict(f"return {return_id} is being changed; try again", code="concurrent_update")

    def _back(self, order: Order, latest: Return) -> dict[str, int]:
        """Per line, the units counted back in over all the order's returns."""
        returns = {r.return_id: r for r in self.returns.of_order(order.order_id)}
        returns[latest.return_id] = latest
        back: dict[str, int] = {}
        for r in returns.values():
            for x in r.lines:
                back[x.line_id] = back.get(x.line_id, 0) + x.received
        return back

    def _release_exchange(self, ret: Return, actor: Actor) -> list[OrderChange]:
        """The replacement that waited for this return to arrive, released (still held while the
        customer owes for it)."""
        if not ret.replacement_order_id:
            return []
        replacement = self.orders.get(ret.replacement_order_id)
        if replacement is None:
            return []
        released = release_replacement(replacement, actor, still_waiting=None)
        if released is None:
            return []
        after, events = released
        return [_finished(OrderChange(after, replacement.version, events=events))]

    # ----------------------------------------------------------------- exchange payment
    def record_payment(self, return_id: str, *, reference: str, actor: Actor) -> Return:
        """The customer paid what the exchange's replacements cost over what came back: the
        replacement stops waiting for it (and ships, unless it waits for the return too)."""
        for _ in range(ATTEMPTS):
            ret = self.returns.get(return_id)
            if ret.exchange_owed is None or ret.replacement_order_id is None:
                raise Conflict("this return's exchange owes nothing", code="nothing_owed")
            if ret.exchange_paid_at is not None:
                return ret
            replacement = self.orders.get(ret.replacement_order_id)
            if replacement is None:
                raise NotFound(f"no order {ret.replacement_order_id!r}", code="order_not_found")
            _, _, settings, _ = self._order(ret.order_id)
            arrived = ret.fully_counted or settings.returns.exchange_ships_on == "approval"
            wait = None if arrived else waiting_for_return(ret.return_id)
            released = release_replacement(replacement, actor, still_waiting=wait, paid=ret.exchange_owed)
            also: list[OrderChange] = []
            if released is not None:
                after, order_events = released
                also.append(_finished(OrderChange(after, replacement.version, events=order_events)))
            entry = ReturnEntry(
                at=actor.at,
                from_status=ret.status,
                to_status=ret.status,
                reason=f"the customer paid {ret.exchange_owed} for the exchange ({reference})",
                actor=actor.name,
            )
            paid = ret.model_copy(
                update={
                    "exchange_paid_at": actor.at,
                    "timeline": [*ret.timeline, entry],
                    "updated_at": actor.at,
                }
            )
            try:
                return self.returns.save(
                    paid,
                    [return_event("ExchangePaid", paid, actor.name, actor.at, reason=reference)],
                    expected_version=ret.version,
                    also=also,
                )
            except ConcurrentModification:
                continue
        raise Conflict(f"return {return_id} is being changed; try again", code="concurrent_update")

    # ----------------------------------------------------------------- refund
    def refund(self, return_id: str, *, actor: Actor) -> Return:
        """The return's money back through the order's channel (or by hand), once: what its units
        were paid, less the policy's restocking fee, the label the customer pays and the
        exchange's replacements. Refunded before the parcel is in (the policy's approval or first
        scan), the received units settle it later; once every line is counted, it is closed."""
        ret = self.returns.get(return_id)
        if ret.refund_id is None:
            if ret.status not in (R.APPROVED, R.IN_TRANSIT, R.RECEIVED):
                raise Conflict(f"a {ret.status.value} return is not refunded", code="return_not_refundable")
            order, _, settings, _ = self._order(ret.order_id)
            before = ret.status in (R.APPROVED, R.IN_TRANSIT)
            refund_id = f"{ret.return_id}-refund"
            made = find_refund(order, refund_id)  # made before a crash: planned as it was then
            others = [r for r in order.refunds if r.refund_id != refund_id]
            due = refund_due(
                ret, order.model_copy(update={"refunds": others}), settings.returns, before_receipt=before
            )
            refunded = made.total if made else Money.zero(order.currency)
            if made is None and due.units and (due.paid - due.kept).amount > 0:
                ask = RefundAsk(
                    lines=[LineAsk(line_id=k, quantity=v) for k, v in due.units.items()],
                    shipping=None,
                    amount=None,
                    reason=f"return {ret.return_id}",
                    deduction=due.kept.amount if due.kept.amount else None,
                    notify_customer=True,
                )
                refunded = self.refunds.refund(ret.order_id, ask, actor=actor, refund_id=refund_id).total
            ret = self._settle(
                return_id, actor, refund_id=refund_id, refunded=refunded, fee=due.fee, shipping=due.shipping
            )
        settled = ret.status in (R.REFUNDED, R.EXCHANGED) or (ret.status == R.RECEIVED and ret.refund_id)
        if settled and ret.fully_counted:  # refunded before it came in: closed once it is counted
            ret = self._close(ret, actor)
        return ret

    def _settle(
        self, return_id: str, actor: Actor, *, refund_id: str, refunded: Money, fee: Money, shipping: Money
    ) -> Return:
        for _ in range(ATTEMPTS):
            ret = self.returns.get(return_id)
            if ret.refund_id:
                return ret
            settled = ret.model_copy(
                update={
                    "refund_id": refund_id,
                    "refunded": refunded,
                    "fee": fee if fee.amount else None,
                    "shipping_deduction": shipping if shipping.amount else None,
                    "updated_at": actor.at,
                }
            )
            words = f"refund {refund_id} of {refunded}"
            if settled.status == R.RECEIVED:
                to = R.EXCHANGED if ret.replacement_order_id else R.REFUNDED
                settled = move(settled, to, actor, reason=words)
            else:
                entry = ReturnEntry(
                    at=actor.at, from_status=ret.status, to_status=ret.status, reason=words, actor=actor.name
                )
                settled = settled.model_copy(update={"timeline": [*settled.timeline, entry]})
            kind = "ReturnExchanged" if settled.status == R.EXCHANGED else "ReturnRefunded"
            try:
                return self.returns.save(
                    settled, [return_event(kind, settled, actor.name, actor.at)], expected_version=ret.version
                )
            except ConcurrentModification:
                continue
        raise Conflict(f"return {return_id} is being changed; try again", code="concurrent_update")

    def _close(self, ret: Return, actor: Actor) -> Return:
        for _ in range(ATTEMPTS):
            current = self.returns.get(ret.return_id)
            if current.status == R.CLOSED:
                return current
            if current.status not in (R.REFUNDED, R.EXCHANGED, R.RECEIVED):
                return current
            closed = move(current, R.CLOSED, actor)
            try:
                return self.returns.save(
                    closed,
                    [return_event("ReturnClosed", closed, actor.name, actor.at)],
                    expected_version=current.version,
                )
            except ConcurrentModification:
                continue
        raise Conflict(f"return {ret.return_id} is being changed; try again", code="concurrent_update")

    # ----------------------------------------------------------------- tracking
    def tracking_due(self, now: datetime, *, limit: int) -> list[str]:
        return self.returns.tracking_due(now, limit=limit)

    def check_tracking(self, return_id: str, now: datetime, actor: Actor) -> str:
        """One tracking check of a return parcel: "skipped", "checked", "in_transit" or "arrived".
        Its first scan refunds it when the policy says so (first_scan)."""
        ret = self.returns.get(return_id)
        due = ret.tracking.next_check_at
        if (
            ret.label is None
            or ret.status not in (R.APPROVED, R.IN_TRANSIT)
            or (due and due.replace(microsecond=0) > now)
        ):
            return "skipped"
        carrier = self.carriers.for_label(ret.label)
        if carrier is None:
            self._save_quietly(defer_tracking(ret, now), ret.version)
            return "skipped"
        context = TrackContext(shipped_at=_approved_at(ret), check=ret.tracking.checks + 1, now=now)
        try:
            result = carrier.track(ret.label, context)
        except (CarrierUnavailable, CarrierRejected):
            self._save_quietly(defer_tracking(ret, now), ret.version)
            raise
        updated, kinds = track(ret, result.events, result.estimated_delivery, now, actor)
        events = [return_event(kind, updated, actor.name, now) for kind in kinds]
        try:
            saved = self.returns.save(updated, events, expected_version=ret.version)
        except ConcurrentModification:
            return "skipped"
        if "ReturnInTransit" in kinds:
            _, _, settings, _ = self._order(ret.order_id)
            if settings.returns.refund_on == "first_scan" and saved.refund_id is None:
                self.refund(return_id, actor=actor)
        return "arrived" if "ReturnArrived" in kinds else "in_transit" if kinds else "checked"

    def _save_quietly(self, ret: Return, expected: int) -> None:
        with contextlib.suppress(ConcurrentModification):
            self.returns.save(ret, [], expected_version=expected)


def _exchange_line(ask: ExchangeAsk, currency: str) -> ExchangeLine:
    price = Money.of(ask.unit_price, currency) if ask.unit_price is not None else None
    return ExchangeLine(sku=ask.sku, name=ask.name, quantity=ask.quantity, unit_price=price)


def _finished(change: OrderChange) -> OrderChange:
    """The change at the order's next version, its events numbered (as every committed change)."""
    finish(FulfilmentChange(order=change))
    return change


def _approved_at(ret: Return) -> datetime:
    return next((e.at for e in ret.timeline if e.to_status == R.APPROVED), ret.created_at)


def _label_words(label: Label | None) -> str | None:
    if label is None:
        return "approved without a label"
    return f"return label {label.carrier} {label.tracking_number or ''}".strip()


def _exchange_short(ret: Return, skus: list[str], actor: Actor) -> Return:
    """The replacement could not be reserved: the return is refunded instead (the customer is told)."""
    entry = ReturnEntry(
        at=actor.at,
        from_status=ret.status,
        to_status=ret.status,
        reason=f"replacement out of stock ({', '.join(skus)}): refunded instead",
        actor=actor.name,
    )
    return ret.model_copy(
        update={
            "replacement_order_id": None,
            "exchange_owed": None,
            "exchange_short": skus,
            "timeline": [*ret.timeline, entry],
        }
    )


def _replacement_lines(ret: Return, currency: str) -> list[ReplacementLine]:
    """The replacements at their prices; a like-for-like swap's cost nothing (what comes back pays)."""
    zero = Money.zero(currency)
    priced = all(x.unit_price is not None for x in ret.exchange)
    return [
        ReplacementLine(
            sku=x.sku,
            name=x.name or x.sku,
            quantity=x.quantity,
            unit_price=x.unit_price if priced and x.unit_price is not None else zero,
        )
        for x in ret.exchange
    ]


def _address_of(location: Location) -> Address:
    return location.address or Address(name=location.name, country_code=location.country_code)


def _after_return(
    order: Order, shipments: list[Shipment], back: dict[str, int], actor: Actor
) -> tuple[Order, list[OutboxEvent]]:
    """The order, returned once every unit that left has come back."""
    states = line_states(order, shipments)
    left = {k: s.shipped for k, s in states.items() if s.shipped}
    all_back = bool(left) and all(back.get(k, 0) >= n for k, n in left.items())
    if all_back and can_transition(order.status, OrderStatus.RETURNED):
        moved, event = transition(order, OrderStatus.RETURNED, actor, reason="every unit that left came back")
        return moved, [event]
    return order.model_copy(update={"updated_at": actor.at}), []
