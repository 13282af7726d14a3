"""The canonical, channel-independent order and the records around it."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.identifiers import (
    BIGCOMMERCE,
    CHANNEL_ORDER_ID_PATTERN,
    COUNTRY_CODE_PATTERN,
    LOCATION_ID_PATTERN,
    MANUAL,
    SHOPIFY,
    STORE_ID_PATTERN,
    WOOCOMMERCE,
    order_id_for,
)
from oms.money import Money
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.timeutil import UtcDateTime

StoreId = Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(max_length=500)]


class Channel(StrEnum):
    SHOPIFY = SHOPIFY
    WOOCOMMERCE = WOOCOMMERCE
    BIGCOMMERCE = BIGCOMMERCE
    MANUAL = MANUAL


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Model(BaseModel):
    # defer_build: a model's validator is built when first used, so a function pays at cold start
    # only for the models it actually uses.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class Address(Model):
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


class Customer(Model):
    channel_customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "customer"


class LineHandling(StrEnum):
    """What a line needs from us (decided at intake by oms.line_identity)."""

    STOCK = "stock"  # reserve its stock item, then ship it
    SHIP = "ship"  # ship it; no stock is kept for it (the channel or the store does not track it)
    NONE = "none"  # nothing to reserve or ship: a download, a ticket, a gift card, a service
    UNIDENTIFIED = "unidentified"  # needs stock but has no SKU and no mapping: held unknown_sku


class LineItem(Model):
    line_id: str
    sku: str | None = None
    name: str
    quantity: int = Field(ge=0)
    # After order edits and removals; what still has to ship. Defaults to ``quantity``.
    current_quantity: int | None = Field(default=None, ge=0)
    unit_price: Money
    line_total: Money  # unit price x quantity, before discounts
    discount: Money | None = None
    tax: Money | None = None
    requires_shipping: bool = True
    grams: int | None = Field(default=None, ge=0)
    product_id: str | None = None
    variant_id: str | None = None
    gift_card: bool = False
    # The channel's word on inventory: False = it does not track this item, None = it does not say.
    inventory_tracked: bool | None = None
    product_type: str | None = None
    # Decided at intake (oms.line_identity), from the line, the store's rules and its variant map.
    stock_sku: str | None = None
    handling: LineHandling | None = None
    # A line staff added here, once the channel has it too (a Shopify order edit): the channel's id.
    channel_line_id: str | None = None

    @property
    def open_quantity(self) -> int:
        return self.quantity if self.current_quantity is None else self.current_quantity

    @property
    def resolved(self) -> LineHandling:
        """How the line is handled; lines recorded before identities existed: by SKU and shipping."""
        if self.handling is not None:
            return self.handling
        if not self.requires_shipping:
            return LineHandling.NONE
        return LineHandling.STOCK if self.sku else LineHandling.UNIDENTIFIED

    @property
    def stock_item(self) -> str | None:
        """The SKU whose stock this line holds (None: it holds none)."""
        if self.resolved != LineHandling.STOCK:
            return None
        return self.stock_sku or self.sku

    @property
    def ships(self) -> bool:
        return self.resolved in (LineHandling.STOCK, LineHandling.SHIP, LineHandling.UNIDENTIFIED)


class ChannelFulfilmentLine(Model):
    line_id: str
    quantity: int = Field(ge=0)


class ChannelFulfilment(Model):
    """A fulfilment the channel reports (made in its own admin, at a point of sale, or by us)."""

    fulfilment_id: str
    status: str = "success"
    lines: list[ChannelFulfilmentLine] = Field(default_factory=list)
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipment_status: str | None = None  # Shopify's own tracking word: in_transit, delivered, ...
    created_at: UtcDateTime | None = None

    @property
    def counts(self) -> bool:
        """Only completed fulfilments took goods off the shelf (Shopify: success)."""
        return self.status in ("success", "fulfilled", "completed")


class ChannelRefundLine(Model):
    line_id: str
    quantity: int = Field(ge=0)
    restock_type: str | None = None  # Shopify: return, cancel, no_restock, legacy_restock


class ChannelRefund(Model):
    """A refund as the channel reports it (made in its own admin, or ours coming back)."""

    refund_id: str
    total: Money  # the money that went back (Shopify: its refund transactions)
    lines: list[ChannelRefundLine] = Field(default_factory=list)
    note: str | None = None


class ShippingLine(Model):
    title: str
    code: str | None = None
    carrier: str | None = None
    price: Money


class Totals(Model):
    """The order's figures exactly as the channel reported them (never recomputed)."""

    subtotal: Money
    discounts: Money
    tax: Money
    shipping: Money
    total: Money
    outstanding: Money | None = None


class OrderSnapshot(Model):
    """What a channel says about an order at one moment, in our words."""

    channel: Channel
    store_id: StoreId
    channel_order_id: Annotated[str, StringConstraints(pattern=CHANNEL_ORDER_ID_PATTERN)]
    number: str
    currency: str
    customer: Customer = Field(default_factory=Customer)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: list[LineItem]
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    totals: Totals
    payment_status: PaymentStatus
    channel_status: str
    cancelled: bool = False
    cancel_reason: str | None = None
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
    source: str | None = None
    # Unit prices include their tax (Shopify ``taxes_included``); WooCommerce's line totals never do.
    taxes_included: bool = False
    placed_at: UtcDateTime
    channel_updated_at: UtcDateTime
    channel_fulfilments: list[ChannelFulfilment] = Field(default_factory=list)
    channel_refunds: list[ChannelRefund] = Field(default_factory=list)

    def derive_order_id(self) -> str:
        return order_id_for(self.store_id, self.channel_order_id)

    def line(self, line_id: str) -> LineItem | None:
        return next((line for line in self.lines if line.line_id == line_id), None)

    def channel_fulfilled(self) -> dict[str, int]:
        """Per line, what the channel reports as fulfilled (its completed fulfilments)."""
        done: dict[str, int] = {}
        for fulfilment in self.channel_fulfilments:
            if fulfilment.counts:
                for item in fulfilment.lines:
                    done[item.line_id] = done.get(item.line_id, 0) + item.quantity
        return done

    def content(self) -> dict[str, Any]:
        """The channel-reported fields, for change detection."""
        return self.model_dump(mode="json", include=set(OrderSnapshot.model_fields))


class ShortLine(Model):
    sku: str | None = None
    requested: int
    available: int | None = None  # None: the SKU is unknown
    # For a line with no stock identity (no SKU, no mapping): which line, and its variant key.
    line_id: str | None = None
    name: str | None = None
    variant_key: str | None = None


class Hold(Model):
    reason: HoldReason
    short_lines: list[ShortLine] = Field(default_factory=list)
    note: str | None = None


class TimelineEntry(Model):
    at: UtcDateTime
    from_status: OrderStatus | None = None
    to_status: OrderStatus
    reason: str | None = None
    actor: str
    source_event: str | None = None


class NoteVisibility(StrEnum):
    INTERNAL = "internal"  # staff only
    CUSTOMER = "customer"  # also sent to the customer


class Note(Model):
    """A note on an order: from staff (``note_id`` set), or a fact the OMS recorded."""

    at: UtcDateTime
    author: str
    text: Annotated[str, StringConstraints(max_length=2000)]
    note_id: str | None = None
    visibility: NoteVisibility = NoteVisibility.INTERNAL


class CancelReason(StrEnum):
    """Why staff cancel (Shopify's reasons)."""

    CUSTOMER = "customer"
    FRAUD = "fraud"
    INVENTORY = "inventory"
    DECLINED = "declined"
    STAFF = "staff"
    OTHER = "other"


class RefundStatus(StrEnum):
    PENDING = "pending"  # being sent to the channel
    SUCCEEDED = "succeeded"  # the channel confirmed it
    FAILED = "failed"  # the channel refused it, or kept failing: no money moved
    MANUAL = "manual"  # recorded only: the money is returned outside the OMS
    CHANNEL = "channel"  # made in the channel's own admin and recorded here


class RefundLine(Model):
    line_id: str
    quantity: int = Field(ge=1)
    amount: Money  # what these units were paid: their price, less their discounts, with their tax
    tax: Money  # the part of ``amount`` that is tax
    restock: bool = False
    location_id: str | None = None  # where restocked units went
    # Of ``quantity``: units that had not shipped (cancelled by this refund), units that had shipped,
    # and of those the ones put back on hand; the rest had been cancelled before.
    cancelled: int = Field(default=0, ge=0)
    shipped: int = Field(default=0, ge=0)
    restocked: int = Field(default=0, ge=0)


class Refund(Model):
    """Money given back on an order (by us through its channel, by hand, or in the channel)."""

    refund_id: str
    status: RefundStatus
    lines: list[RefundLine] = Field(default_factory=list)
    shipping: Money
    extra: Money  # a goodwill amount beyond lines and shipping
    deducted: Money | None = None  # kept back from the lines (a return's restocking fee, its label)
    total: Money
    reason: str
    note: str | None = None
    notify_customer: bool = False
    actor: str
    channel_refund_id: str | None = None
    message: str | None = None  # why it failed, in the channel's words (a code, never PII)
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @property
    def counts(self) -> bool:
        """Money that left or is leaving (a failed refund moved none)."""
        return self.status != RefundStatus.FAILED


class EditPush(StrEnum):
    """Where an edit stands with the channel's copy of the order."""

    OMS_ONLY = "oms_only"  # recorded here only (``pushed`` says why)
    PENDING = "pending"  # being made on the channel (a Shopify order edit)
    PUSHED = "pushed"  # the channel's order says the same
    REFUSED = "refused"  # the channel said no (``pushed`` has its words); change it there by hand


class OrderEdit(Model):
    """Staff changed an order before it shipped: lines added, quantities changed, the address.
    ``difference``: what the order is worth more (due from the customer) or, negative, less (owed
    to them; refunded when staff asked, ``refund_id``)."""

    edit_id: str
    added: list[str] = Field(default_factory=list)  # the new lines' ids
    changed: dict[str, int] = Field(default_factory=dict)  # line -> its new quantity
    address_changed: bool = False
    difference: Money
    refund_id: str | None = None
    note: str | None = None
    pushed: str  # what the channel was told (or why it was not)
    push: EditPush = EditPush.OMS_ONLY
    actor: str
    at: UtcDateTime


class ChoiceOption(StrEnum):
    WAIT = "wait"
    SHIP_AVAILABLE = "ship_available"
    SUBSTITUTE = "substitute"
    CANCEL = "cancel"


class CustomerChoice(Model):
    """A choice offered to the customer of an order waiting for stock, and what they chose.
    ``offer`` numbers the offers of one order (a signed link names its offer); ``due``: when the
    store's default choice is applied if the customer has not chosen."""

    offer: int = Field(ge=1)
    offered_at: UtcDateTime
    due: UtcDateTime
    options: list[ChoiceOption]
    default: ChoiceOption
    # What each waiting line would become if the customer takes a substitute: line -> SKU.
    substitutes: dict[str, Substitute] = Field(default_factory=dict)
    chosen: ChoiceOption | None = None
    chosen_at: UtcDateTime | None = None
    chosen_by: str | None = None  # "customer", or "system:choice-timeout"
    closed_at: UtcDateTime | None = None  # withdrawn unchosen: nothing waits any more

    @property
    def open(self) -> bool:
        return self.chosen is None and self.closed_at is None


class Reservation(Model):
    """The stock this order holds.

    ``reserved``: per SKU, held against the SKU's total and not yet shipped.
    ``allocated``: per location and SKU, the part of ``reserved`` assigned to a location.
    ``committed``: per SKU, shipped (taken off on-hand).
    """

    reserved: dict[str, int] = Field(default_factory=dict)
    allocated: dict[str, dict[str, int]] = Field(default_factory=dict)
    committed: dict[str, int] = Field(default_factory=dict)

    @property
    def holds_stock(self) -> bool:
        return any(self.reserved.values())


class ClaimLine(Model):
    line_id: str
    quantity: int = Field(ge=1)


class Claim(Model):
    """Something that arrived missing, wrong or broken, put right without a return (oms.claims):
    sent again (a replacement order) or refunded."""

    claim_id: str
    type: Literal["missing_item", "wrong_item", "damaged_in_transit"]
    resolution: Literal["reship", "refund"]
    lines: list[ClaimLine]
    evidence_urls: list[str] = Field(default_factory=list)
    note: str | None = None
    replacement_order_id: str | None = None
    refund_id: str | None = None
    actor: str
    created_at: UtcDateTime


class Order(OrderSnapshot):
    order_id: str
    status: OrderStatus
    hold: Hold | None = None
    reservation: Reservation = Field(default_factory=Reservation)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)
    # Per line, units staff cancelled: kept over the channel's later views of the order.
    cancelled_quantities: dict[str, int] = Field(default_factory=dict)
    # Staff's edits: the lines they added and the address they set are kept over the channel's
    # later views too (oms.order_edits).
    edits: list[OrderEdit] = Field(default_factory=list)
    added_lines: list[LineItem] = Field(default_factory=list)
    address_override: Address | None = None
    # Tags staff added (True) or removed (False) here, applied over the channel's tags.
    tag_changes: dict[str, bool] = Field(default_factory=dict)
    # Per line, units waiting for stock (oms.backorders): not reserved, shipped when stock arrives.
    backordered: dict[str, int] = Field(default_factory=dict)
    # Ship what is in stock and backorder the rest for this order, whatever the store's default
    # (the customer chose it).
    ship_available: bool = False
    # The customer's choice while the order waits for stock (oms.customer_choices).
    choice: CustomerChoice | None = None
    version: int = 0
    shipment_count: int = 0  # shipments ever made for it (numbering; 0: no shipment to look at)
    created_at: UtcDateTime
    updated_at: UtcDateTime
    delivered_at: UtcDateTime | None = None
    # When its personal data was erased (oms.privacy): the channel's later views are redacted too.
    redacted_at: UtcDateTime | None = None
    # Claims staff opened on it (oms.claims): what arrived missing, wrong or broken.
    claims: list[Claim] = Field(default_factory=list)
    # The return or claim whose replacement this order ships (an exchange, a reshipment).
    replaces: str | None = None
    # Per line, units in its returns that still count (oms.returns); returns ever made (numbering).
    returned: dict[str, int] = Field(default_factory=dict)
    return_count: int = 0

    @model_validator(mode="after")
    def _hold_matches_status(self) -> Order:
        if (self.status == OrderStatus.ON_HOLD) != (self.hold is not None):
            raise ValueError("an order has a hold exactly when it is on hold")
        return self

    def public(self) -> dict[str, Any]:
        """The order as the admin API returns it."""
        return self.model_dump(mode="json")

    def channel_line(self, line_id: str) -> str | None:
        """The channel's id for one of the order's lines: its own, or for a line staff added here
        the channel's once an edit gave it one (None: the channel's order does not have it)."""
        line = self.line(line_id)
        if line is not None and line.channel_line_id:
            return line.channel_line_id
        if any(added.line_id == line_id for added in self.added_lines):
            return None
        return line_id

    def edit(self, edit_id: str) -> OrderEdit | None:
        return next((e for e in self.edits if e.edit_id == edit_id), None)


class RateChoice(StrEnum):
    CHEAPEST = "cheapest"
    FASTEST = "fastest"
    CHECKOUT = "checkout"


class Box(Model):
    # At least a millimetre: carriers quote in tenths, and DynamoDB cannot store 5e-324.
    length_cm: float = Field(default=30, ge=0.1, le=300)
    width_cm: float = Field(default=20, ge=0.1, le=300)
    height_cm: float = Field(default=10, ge=0.1, le=300)
    weight_grams: int = Field(default=200, ge=0, le=100_000)


class Substitute(Model):
    """A SKU the store offers in place of another that is out of stock, at the original line's
    unit price or at a lower one (``unit_price``; the difference is refunded)."""

    sku: Sku
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)] | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class ReturnReason(Model):
    """One of the store's return reasons: who pays the return label, and the restocking fee kept."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    customer_pays_shipping: bool = False  # the label's cost is taken from the refund
    restocking_fee_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)


DEFAULT_RETURN_REASONS = (
    ReturnReason(code="wrong_item", label="We sent the wrong item"),
    ReturnReason(code="damaged", label="It arrived damaged"),
    ReturnReason(code="not_as_described", label="It is not as described"),
    ReturnReason(code="size_or_fit", label="Size or fit"),
    ReturnReason(code="changed_mind", label="Changed my mind", customer_pays_shipping=True),
)


class ReturnPolicy(Model):
    """How the store takes things back (oms.returns); its window is ``return_window_days``."""

    reasons: list[ReturnReason] = Field(
        default_factory=lambda: list(DEFAULT_RETURN_REASONS), min_length=1, max_length=30
    )
    final_sale_skus: list[Sku] = Field(default_factory=list, max_length=1000)
    final_sale_sku_prefixes: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    # When a return's money goes back: once it is approved, at the carrier's first scan, or once
    # the warehouse has it.
    refund_on: Literal["approval", "first_scan", "receipt"] = "receipt"
    # When an exchange's replacement ships: once the return is approved, or once it is received.
    exchange_ships_on: Literal["approval", "receipt"] = "receipt"
    # Customers' returns approved without staff (within the window, no reason in review_reasons).
    auto_approve: bool = True
    review_reasons: list[str] = Field(default_factory=lambda: ["damaged"], max_length=30)
    # Where returned parcels go (a location of ours); None: the store's first location.
    return_location: Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)] | None = None


class StoreSettings(Model):
    return_window_days: int = Field(default=30, ge=0, le=365)
    returns: ReturnPolicy = Field(default_factory=ReturnPolicy)
    # Allocation (oms.allocation): location order, whether one order may ship from several places,
    # and whether a location in the customer's own country comes first among equals.
    location_priority: list[str] = Field(default_factory=list, max_length=50)
    allow_split: bool = True
    prefer_same_country: bool = True
    # The sandbox carrier's tracking story for new labels (oms.carriers.sandbox_carrier).
    sandbox_scenario: Annotated[
        str, StringConstraints(pattern=r"^(delivered(:\d{1,2})?|exception|returned|stalled)$")
    ] = "delivered:3"
    rate_choice: RateChoice = RateChoice.CHEAPEST
    carrier: Annotated[str, StringConstraints(pattern=r"^(sandbox|easypost|manual)$")] = "sandbox"
    auto_fulfil: bool = False
    default_box: Box = Field(default_factory=Box)
    notify_customer_email: bool = True
    notify_customer_sms: bool = False
    push_fulfilment_to_channel: bool = True
    # Staff edits (lines added, quantities lowered, the address) made on the channel's order too
    # (Shopify order editing); off, or on a channel without order editing, they stay ours only.
    push_edits_to_channel: bool = True
    # The Shopify GraphQL Admin API version this store is called at (YYYY-MM of a quarterly
    # release); None: the version the OMS is built and tested against (shopify_graphql.API_VERSION).
    shopify_api_version: Annotated[str, StringConstraints(pattern=r"^\d{4}-(01|04|07|10)$")] | None = None
    # Stock identity (oms.line_identity): lines whose SKU starts with one of these prefixes, or
    # whose product type is one of these, hold no stock (made to order, services, bundles).
    untracked_sku_prefixes: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    untracked_product_types: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    # A line the channel says it does not track (Shopify: no inventory management) holds no stock.
    trust_channel_inventory_tracking: bool = True
    # Lines the channel fulfilled itself (point of sale, its own admin): take their stock off our
    # counts once ("take"), or leave our counts alone ("ignore": the channel's stock is not ours).
    channel_fulfilment_stock: Literal["take", "ignore"] = "take"
    # Out of stock (oms.backorders): hold the whole order until all of it can ship ("hold"), or
    # reserve and ship what is in stock now and backorder the rest ("ship_available").
    backorders: Literal["hold", "ship_available"] = "hold"
    # Offer the customer a choice (oms.customer_choices) when their order waits for stock: wait,
    # ship what is available and refund the rest, take a substitute, or cancel with a full refund.
    customer_choice: bool = False
    choice_timeout_hours: int = Field(default=72, ge=1, le=720)
    default_choice: Literal["wait", "ship_available", "cancel"] = "wait"
    substitutes: dict[Sku, list[Substitute]] = Field(default_factory=dict, max_length=500)
    # Inventory sync (oms.inventory_sync): every change of a SKU's available stock set on this
    # store's products, less a safety buffer (never below 0); SKUs listed here are left alone.
    inventory_sync: bool = False
    stock_buffer: int = Field(default=0, ge=0, le=100_000)
    no_sync_skus: list[Sku] = Field(default_factory=list, max_length=1000)
    # Shopify: the one location our total is set at (a location id; None: the shop's first active
    # location), or our locations mapped to Shopify's, each set to what it can ship.
    shopify_location_id: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = None
    shopify_locations: dict[
        Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)],
        Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")],
    ] = Field(default_factory=dict, max_length=50)
    # BigCommerce: the inventory location our total is set at (1: the store's default location).
    bigcommerce_location_id: int = Field(default=1, ge=1, le=1_000_000)
    # Reconciliation (oms.missed_orders): ask the channel for the orders changed since the last
    # run every this many minutes (0: only on demand); a store's first run reaches back this many
    # days; this many orders found only by reconciliation in one run alert staff (0: never).
    reconcile_every_minutes: int = Field(default=60, ge=0, le=10_080)
    reconcile_backfill_days: int = Field(default=1, ge=0, le=90)
    reconcile_alert_threshold: int = Field(default=1, ge=0, le=100_000)
    # Retention (oms.privacy): completed orders are redacted this many days after they completed
    # (their personal data erased, their lines, amounts and dates kept); 0: kept as they are.
    redact_completed_after_days: int = Field(default=0, ge=0, le=3650)


class Store(Model):
    store_id: StoreId
    channel: Channel
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    shop_domain: str | None = None  # Shopify: acme.myshopify.com
    site_url: str | None = None  # WooCommerce: https://shop.example.com
    store_hash: str | None = None  # BigCommerce: the store's API path (api.bigcommerce.com/stores/<hash>)
    settings: StoreSettings = Field(default_factory=StoreSettings)
    # Admin API credentials are kept (in SSM): refunds and cancellations go to the channel.
    api_connected: bool = False
    created_at: UtcDateTime
    updated_at: UtcDateTime
    # The store was erased (Shopify's shop/redact, or staff): its secrets are gone, its orders
    # redacted; its webhooks are refused as an unknown store's.
    erased_at: UtcDateTime | None = None


class StockLevel(Model):
    """Stock of one SKU at one location (``location`` None: the SKU's total over all locations)."""

    sku: str
    location: str | None = None
    on_hand: int
    reserved: int
    available: int
    updated_at: UtcDateTime | None = None


class Location(Model):
    location_id: Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    country_code: Annotated[str, StringConstraints(pattern=COUNTRY_CODE_PATTERN)]
    address: Address | None = None  # where labels ship from
    # Countries this location ships to; empty means anywhere.
    ships_to: list[Annotated[str, StringConstraints(pattern=COUNTRY_CODE_PATTERN)]] = Field(
        default_factory=list
    )
    active: bool = True
    updated_at: UtcDateTime | None = None

    def can_ship_to(self, country_code: str | None) -> bool:
        return self.active and (not self.ships_to or (country_code or "") in self.ships_to)
