"""What the channel's newest view of an order does to its shipments and stock.

The order's lines (their current quantities, or none at all once it is cancelled or refunded)
and the fulfilments the channel made itself are laid against what our shipments carry, line by
line, in three steps:

1. **Fulfilled by the channel** (a point-of-sale sale, an order fulfilled in Shopify's admin or
   marked completed in WooCommerce): the units are recorded as a channel shipment, never picked.
   They come out of a pending shipment that carried them (their stock is committed where it was
   allocated), else out of the order's reservation not yet in a shipment (committed at the SKU's
   total, taken at a location), else they are taken without a reservation. A packed shipment in
   the way stops the order for staff. Per store (``channel_fulfilment_stock: ignore``) the units
   take no stock: what they held is released.
2. **No longer wanted** (an edit, a refund, a cancellation): the units come out of pending
   shipments, newest first, their stock given back (the location's promise and the order's
   reservation), their labels voided; a shipment left empty is cancelled. What packed shipments
   still carry, or what has shipped already, stops the order for staff (``on_hold``, ``manual``),
   except for an order that is ending (cancelled, refunded), where what had shipped is noted.
3. **Wanted and in no shipment**: reserved at the SKU's total (fulfilment allocates it to a
   location next), or released when the order should hold no stock (awaiting payment).

Stock invariant kept: per SKU, ``reservation.reserved`` = what the order's pending and packed
shipments carry + what is wanted and in no shipment; ``allocated`` = what its pending and packed
shipments carry per location.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from oms.allocation import AllocationRules, rank
from oms.fulfilment import ShipmentChange, move_shipment, shipment_event
from oms.identifiers import shipment_id_for
from oms.line_identity import variant_key
from oms.models import ChannelFulfilment, LineHandling, LineItem, Location, Order, Reservation, ShortLine
from oms.order_changes import Actor, MoveKind, StockMove
from oms.order_lifecycle import OrderStatus
from oms.shipments import (
    LEFT,
    OPEN,
    SHIPMENT_CHANGED,
    Label,
    Shipment,
    ShipmentEntry,
    ShipmentLine,
    ShipmentStatus,
)

S = ShipmentStatus
ENDING = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
NO_LOCATION = "channel"  # where a channel shipment "left from" when it took no stock of ours


@dataclass
class StockView:
    """What channel-fulfilled units may be taken from: locations and their levels (only read when
    the channel reports fulfilments)."""

    locations: list[Location] = field(default_factory=list)
    available: dict[tuple[str, str], int] = field(default_factory=dict)  # (location, sku)
    totals: dict[str, int] = field(default_factory=dict)  # sku -> available at its total
    rules: AllocationRules = field(default_factory=AllocationRules)


@dataclass
class Reconciliation:
    order: Order  # with its new reservation and shipment count
    moves: list[StockMove]
    shipments: list[ShipmentChange]
    reserving: dict[str, int]  # the reservations among the moves (dropped when the order is short)
    unidentified: list[ShortLine]  # lines that need stock and have no identity
    attention: list[str]  # why staff must decide (the order goes on hold)
    notes: list[str]  # facts for the timeline
    channel_units: int  # units recorded now as fulfilled by the channel


class _Ledger:
    """The working state: shipments being changed, and the order's reservation."""

    def __init__(self, order: Order, shipments: list[Shipment], actor: Actor) -> None:
        self.order = order
        self.actor = actor
        self.changes: dict[str, ShipmentChange] = {}  # existing shipments, by id
        self.added: list[ShipmentChange] = []  # channel shipments recorded now
        self.live = [s for s in shipments if s.status != S.CANCELLED]
        res = order.reservation
        self.reserved: dict[str, int] = defaultdict(int, res.reserved)
        self.allocated: dict[str, dict[str, int]] = defaultdict(
            lambda: defaultdict(int), {loc: defaultdict(int, lines) for loc, lines in res.allocated.items()}
        )
        self.committed: dict[str, int] = defaultdict(int, res.committed)
        self.moves: list[StockMove] = []
        self.count = max(order.shipment_count, len(shipments))

    def current(self, shipment: Shipment) -> Shipment:
        change = self.changes.get(shipment.shipment_id)
        return change.shipment if change else shipment

    def shipments(self) -> list[Shipment]:
        return [self.current(s) for s in self.live] + [c.shipment for c in self.added]

    def carried(self, line_id: str, statuses: frozenset[ShipmentStatus]) -> int:
        return sum(s.quantity_of(line_id) for s in self.shipments() if s.status in statuses)

    def open_with(self, line_id: str, status: ShipmentStatus) -> list[Shipment]:
        return [
            s
            for s in self.shipments()
            if s.status == status and s.source == "oms" and s.quantity_of(line_id) > 0
        ]

    def in_open_shipments(self, sku: str) -> int:
        return sum(
            line.quantity
            for s in self.shipments()
            if s.status in OPEN
            for line in s.lines
            if line.holds_stock and line.sku == sku
        )

    def move(self, sku: str, quantity: int, kind: MoveKind, location: str | None = None) -> None:
        if quantity > 0:
            self.moves.append(StockMove(sku, quantity, kind, location))

    def shrink(self, shipment: Shipment, line_id: str, quantity: int, reason: str) -> list[ShipmentLine]:
        """Take ``quantity`` of a line out of a shipment that has not left; returns what came out."""
        change = self.changes.setdefault(
            shipment.shipment_id, ShipmentChange(shipment=shipment, expected_version=shipment.version)
        )
        current = change.shipment
        left, taken, kept = quantity, [], []
        for line in reversed(current.lines):
            if line.line_id == line_id and left > 0:
                k = min(left, line.quantity)
                taken.append(line.model_copy(update={"quantity": k}))
                left -= k
                if line.quantity > k:
                    kept.append(line.model_copy(update={"quantity": line.quantity - k}))
            else:
                kept.append(line)
        kept.reverse()
        updates: dict[str, object] = {"updated_at": self.actor.at}
        if kept:
            updates["lines"] = kept
        if current.label is not None:
            updates["label"] = None
            updates["labels_to_void"] = [*current.labels_to_void, current.label]
        change.shipment = current.model_copy(update=updates)
        for line in taken:
            if line.holds_stock and line.sku:
                self.allocated[current.location][line.sku] -= line.quantity
        if not kept:  # nothing left in it: cancelled (keeping the lines it would have carried)
            move_shipment(change, S.CANCELLED, self.actor, reason=reason)
        return taken

    def reservation(self) -> Reservation:
        return Reservation(
            reserved={k: v for k, v in sorted(self.reserved.items()) if v > 0},
            allocated={
                loc: {k: v for k, v in sorted(lines.items()) if v > 0}
                for loc, lines in sorted(self.allocated.items())
                if any(v > 0 for v in lines.values())
            },
            committed={k: v for k, v in sorted(self.committed.items()) if v > 0},
        )


def reconcile(
    order: Order,
    shipments: list[Shipment],
    *,
    wants_stock: bool,
    take_stock: bool,
    view: StockView,
    actor: Actor,
    ending: bool | None = None,
) -> Reconciliation:
    """See the module's three steps. ``order`` carries the channel's new lines and its new status;
    ``wants_stock``: its unshipped lines should be reserved now; ``take_stock``: units the channel
    fulfilled come off our counts (store setting ``channel_fulfilment_stock``)."""
    ledger = _Ledger(order, shipments, actor)
    ending = order.status in ENDING if ending is None else ending
    lines = [line for line in order.lines if line.ships]
    attention: list[str] = []
    notes: list[str] = []
    channel_units = 0 if ending else _channel_fulfilled(ledger, lines, take_stock, view, attention, notes)

    _drop_unwanted(ledger, lines, ending, attention, notes)
    reserving, unidentified, waiting = _reserve_wanted(ledger, lines, wants_stock=wants_stock, ending=ending)

    updated = order.model_copy(
        update={"reservation": ledger.reservation(), "shipment_count": ledger.count, "backordered": waiting}
    )
    changes = []
    for change in ledger.changes.values():
        if change.shipment.status != S.CANCELLED:
            change.events.append(shipment_event(change.shipment, SHIPMENT_CHANGED, actor.at))
        changes.append(change)
    changes += ledger.added
    return Reconciliation(
        order=updated,
        moves=ledger.moves,
        shipments=changes,
        reserving=reserving,
        unidentified=unidentified,
        attention=attention,
        notes=notes,
        channel_units=channel_units,
    )


def _drop_unwanted(
    ledger: _Ledger, lines: list[LineItem], ending: bool, attention: list[str], notes: list[str]
) -> None:
    """Step 2: no longer wanted (lines edited down, refunded, cancelled, or gone from the order)."""
    order = ledger.order
    known = {line.line_id for line in order.lines}
    gone = sorted({ln.line_id for s in ledger.shipments() for ln in s.lines if ln.line_id not in known})
    for line_id in [line.line_id for line in lines] + gone:
        line = order.line(line_id)
        wanted = 0 if ending or line is None or not line.ships else line.open_quantity
        wanted_sku = line.stock_item if line is not None else None
        shipped = ledger.carried(line_id, LEFT)
        excess = ledger.carried(line_id, OPEN) - max(0, wanted - shipped)
        # A pending shipment carrying the line under another stock item (the line was remapped) no
        # longer carries what the order wants.
        for shipment in ledger.open_with(line_id, S.PENDING):
            stale = sum(
                ln.quantity for ln in shipment.lines if ln.line_id == line_id and ln.sku != wanted_sku
            )
            if stale and line is not None and line.resolved == LineHandling.STOCK:
                _give_back(
                    ledger,
                    shipment.location,
                    ledger.shrink(shipment, line_id, stale, "its stock item changed"),
                )
                excess -= stale
        for shipment in reversed(ledger.open_with(line_id, S.PENDING)):
            if excess <= 0:
                break
            k = min(excess, shipment.quantity_of(line_id))
            _give_back(
                ledger, shipment.location, ledger.shrink(shipment, line_id, k, "the order no longer wants it")
            )
            excess -= k
        name = line.name if line is not None else f"line {line_id}"
        for shipment in ledger.open_with(line_id, S.PACKED):
            if excess <= 0:
                break
            k = min(excess, shipment.quantity_of(line_id))
            attention.append(
                f"{k} x {name} no longer wanted, but packed in {shipment.shipment_id}: unpack it"
                f" (POST /shipments/{shipment.shipment_id}/cancel) or ship it"
            )
            excess -= k
        over = shipped - wanted
        if over > 0:
            fact = f"{over} x {name} had already shipped"
            (notes if ending else attention).append(
                fact if ending else f"{fact} when the channel reduced it to {wanted}: arrange a return"
            )


def _reserve_wanted(
    ledger: _Ledger, lines: list[LineItem], *, wants_stock: bool, ending: bool
) -> tuple[dict[str, int], list[ShortLine], dict[str, int]]:
    """Step 3: what is wanted and in no shipment is reserved (or, when the order should hold
    nothing, released); lines that need stock and have no identity are reported. Backordered units
    (``order.backordered``) wait unreserved; what no longer needs shipping stops waiting (the
    third result: the backorders that remain)."""
    need: dict[str, int] = defaultdict(int)
    unidentified: list[ShortLine] = []
    waiting: dict[str, int] = {}
    for line in [] if ending else lines:
        missing = line.open_quantity - ledger.carried(line.line_id, LEFT) - ledger.carried(line.line_id, OPEN)
        if missing <= 0:
            continue
        if line.resolved == LineHandling.STOCK and line.stock_item:
            backordered = min(missing, ledger.order.backordered.get(line.line_id, 0))
            if backordered > 0:
                waiting[line.line_id] = backordered
            if missing > backordered:
                need[line.stock_item] += missing - backordered
        elif line.resolved == LineHandling.UNIDENTIFIED and wants_stock:
            unidentified.append(
                ShortLine(
                    sku=None,
                    requested=missing,
                    line_id=line.line_id,
                    name=line.name,
                    variant_key=variant_key(line),
                )
            )
    reserving: dict[str, int] = {}
    for sku in sorted(set(need) | set(ledger.reserved)):
        free = ledger.reserved[sku] - ledger.in_open_shipments(sku)
        diff = (need[sku] if wants_stock and not ending else 0) - free
        if diff > 0:
            ledger.move(sku, diff, MoveKind.RESERVE)
            reserving[sku] = diff
        elif diff < 0:
            ledger.move(sku, -diff, MoveKind.RELEASE)
        ledger.reserved[sku] += diff
    return reserving, unidentified, waiting


def _give_back(ledger: _Ledger, location: str, taken: list[ShipmentLine]) -> None:
    """Stock of lines taken out of a shipment that had not left: the location's promise and the
    order's reservation both go back (step 3 reserves again what the order still wants)."""
    for line in taken:
        if line.holds_stock and line.sku:
            ledger.move(line.sku, line.quantity, MoveKind.DEALLOCATE, location)
            ledger.move(line.sku, line.quantity, MoveKind.RELEASE)
            ledger.reserved[line.sku] -= line.quantity


def _channel_fulfilled(
    ledger: _Ledger,
    lines: list[LineItem],
    take_stock: bool,
    view: StockView,
    attention: list[str],
    notes: list[str],
) -> int:
    """Step 1: record the units the channel fulfilled itself; returns how many."""
    order = ledger.order
    reported = order.channel_fulfilled()
    if not reported:
        return 0
    ours = {s.label.tracking_number for s in ledger.live if s.label and s.source == "oms"}
    taking = _Taking(ledger, take_stock, view, attention, notes)
    for line in lines:
        n = min(reported.get(line.line_id, 0), line.open_quantity) - ledger.carried(line.line_id, LEFT)
        if n > 0:
            n = taking.from_pending(line, n)
            n = taking.from_reservation(line, n)
            n = taking.packed(line, n)
            taking.unreserved(line, n)
    latest = _latest(order.channel_fulfilments, ours)
    for location, per_line in sorted(taking.records.items()):
        ledger.count += 1
        ledger.added.append(_channel_shipment(order, ledger.count, location, per_line, latest, ledger.actor))
    return sum(q for per_line in taking.records.values() for q in per_line.values())


class _Taking:
    """Where units the channel fulfilled come from, in order: a pending shipment, the reservation
    no shipment carries, a packed shipment (staff decide), nothing held (taken without one)."""

    def __init__(
        self, ledger: _Ledger, take_stock: bool, view: StockView, attention: list[str], notes: list[str]
    ) -> None:
        self.ledger, self.take_stock, self.view = ledger, take_stock, view
        self.attention, self.notes = attention, notes
        self.available = dict(view.available)
        self.totals = dict(view.totals)
        self.records: dict[str, dict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )  # location -> line -> qty

    def from_pending(self, line: LineItem, n: int) -> int:
        ledger = self.ledger
        for shipment in ledger.open_with(line.line_id, S.PENDING):
            if n <= 0:
                break
            k = min(n, shipment.quantity_of(line.line_id))
            for part in ledger.shrink(shipment, line.line_id, k, "fulfilled in the channel"):
                if part.holds_stock and part.sku:
                    ledger.reserved[part.sku] -= part.quantity
                    if self.take_stock:  # committed where it was allocated
                        ledger.move(part.sku, part.quantity, MoveKind.COMMIT, shipment.location)
                        ledger.move(part.sku, part.quantity, MoveKind.COMMIT)
                        ledger.committed[part.sku] += part.quantity
                    else:
                        ledger.move(part.sku, part.quantity, MoveKind.DEALLOCATE, shipment.location)
                        ledger.move(part.sku, part.quantity, MoveKind.RELEASE)
            self.records[shipment.location if self.take_stock and line.stock_item else NO_LOCATION][
                line.line_id
            ] += k
            n -= k
        return n

    def from_reservation(self, line: LineItem, n: int) -> int:
        ledger, sku = self.ledger, line.stock_item
        if n <= 0 or not sku:
            return n
        k = min(n, max(0, ledger.reserved[sku] - ledger.in_open_shipments(sku)))
        if not k:
            return n
        ledger.reserved[sku] -= k
        if self.take_stock:
            ledger.move(sku, k, MoveKind.COMMIT)
            taken = _take_at_locations(ledger, line, sku, k, self.view, self.available, self.records)
            ledger.committed[sku] += taken
            if k - taken:  # no location has them: the total gets back what it gave
                ledger.move(sku, k - taken, MoveKind.RESTOCK)
                self.notes.append(
                    f"{k - taken} x {sku} left through the channel; no location held it: recount"
                )
        else:
            ledger.move(sku, k, MoveKind.RELEASE)
            self.records[NO_LOCATION][line.line_id] += k
        return n - k

    def packed(self, line: LineItem, n: int) -> int:
        for shipment in self.ledger.open_with(line.line_id, S.PACKED):
            if n <= 0:
                break
            k = min(n, shipment.quantity_of(line.line_id))
            self.attention.append(
                f"the channel fulfilled {k} x {line.name} that {shipment.shipment_id} has packed: unpack it"
                f" (POST /shipments/{shipment.shipment_id}/cancel) so it is not sent twice"
            )
            n -= k
        return n

    def unreserved(self, line: LineItem, n: int) -> None:
        """What held nothing (not reserved yet, or a line that holds no stock)."""
        if n <= 0:
            return
        ledger, sku = self.ledger, line.stock_item
        if not (sku and self.take_stock):
            self.records[NO_LOCATION][line.line_id] += n
            return
        k = min(n, max(0, self.totals.get(sku, 0)))
        self.totals[sku] = self.totals.get(sku, 0) - k
        taken = _take_at_locations(ledger, line, sku, k, self.view, self.available, self.records) if k else 0
        if taken:
            ledger.move(sku, taken, MoveKind.TAKE)
            ledger.committed[sku] += taken
        if n - taken:
            self.notes.append(
                f"{n - taken} x {sku} left through the channel beyond our count of it: recount it"
            )
        if n - k:  # beyond the SKU's total: recorded, taking nothing (what k left is recorded)
            self.records[NO_LOCATION][line.line_id] += n - k


def _take_at_locations(
    ledger: _Ledger,
    line: LineItem,
    sku: str,
    quantity: int,
    view: StockView,
    available: dict[tuple[str, str], int],
    records: dict[str, dict[str, int]],
) -> int:
    """Take up to ``quantity`` off the best-ranked locations that have it (location items only:
    the caller moves the SKU's total); returns how many were taken. What no location has is
    recorded without a location."""
    country = ledger.order.shipping_address.country_code if ledger.order.shipping_address else None
    left = quantity
    for location in rank(view.locations, view.rules, country):
        if left <= 0:
            break
        k = min(left, max(0, available.get((location.location_id, sku), 0)))
        if k:
            available[(location.location_id, sku)] -= k
            ledger.move(sku, k, MoveKind.TAKE, location.location_id)
            records[location.location_id][line.line_id] += k
            left -= k
    if left:
        records[NO_LOCATION][line.line_id] += left
    return quantity - left


def _latest(fulfilments: list[ChannelFulfilment], ours: set[str | None]) -> ChannelFulfilment | None:
    theirs = [f for f in fulfilments if f.counts and (not f.tracking_number or f.tracking_number not in ours)]
    return theirs[-1] if theirs else None


def _channel_shipment(
    order: Order,
    n: int,
    location: str,
    per_line: Mapping[str, int],
    fulfilment: ChannelFulfilment | None,
    actor: Actor,
) -> ShipmentChange:
    lines = []
    for line_id, quantity in per_line.items():
        line = order.line(line_id)
        if line is None or quantity <= 0:
            continue
        lines.append(
            ShipmentLine(
                line_id=line_id,
                sku=line.stock_item or line.sku,
                name=line.name,
                quantity=quantity,
                grams=line.grams,
                holds_stock=bool(line.stock_item) and location != NO_LOCATION,
            )
        )
    label = None
    if fulfilment is not None and fulfilment.tracking_number:
        label = Label(
            provider="channel",
            carrier=fulfilment.tracking_company or order.channel.value,
            tracking_number=fulfilment.tracking_number,
            tracking_url=fulfilment.tracking_url,
        )
    at = actor.at
    shipment = Shipment(
        shipment_id=shipment_id_for(order.order_id, n),
        order_id=order.order_id,
        store_id=order.store_id,
        channel=order.channel.value,
        number=order.number,
        location=location,
        lines=lines,
        ship_to=order.shipping_address,
        status=S.PENDING,
        label=label,
        source="channel",
        channel_fulfilment_id=fulfilment.fulfilment_id if fulfilment else None,
        created_at=at,
        updated_at=at,
        timeline=[
            ShipmentEntry(at=at, to_status=S.PENDING, reason="fulfilled in the channel", actor=actor.name)
        ],
    )
    change = ShipmentChange(shipment=shipment, expected_version=None)
    move_shipment(change, S.SHIPPED, actor, reason="fulfilled in the channel")
    # A point-of-sale sale is handed over at the counter; Shopify may also know the parcel arrived.
    delivered = order.source == "pos" or (
        fulfilment is not None and fulfilment.shipment_status == "delivered"
    )
    if delivered:
        move_shipment(change, S.DELIVERED, actor, reason="delivered, as the channel reports")
    return change
