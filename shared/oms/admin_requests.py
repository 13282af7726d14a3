"""The admin API's request bodies (one place, so the API, its docs and its tests agree)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.bulk_jobs import MAX_ORDER_IDS, JobAction, JobFilter, JobParams
from oms.identifiers import (
    CHANNEL_ORDER_ID_PATTERN,
    COUNTRY_CODE_PATTERN,
    LOCATION_ID_PATTERN,
    SHOP_DOMAIN_PATTERN,
    STORE_HASH_PATTERN,
    STORE_ID_PATTERN,
)
from oms.models import Address, CancelReason, NoteVisibility, StoreSettings
from oms.order_export import Granularity
from oms.privacy import CustomerRef
from oms.timeutil import UtcDateTime

Secret = Annotated[str, StringConstraints(min_length=16, max_length=512)]
ShopDomain = Annotated[str, StringConstraints(pattern=SHOP_DOMAIN_PATTERN, max_length=255)]
SiteUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=500)]
StoreHash = Annotated[str, StringConstraints(pattern=STORE_HASH_PATTERN)]


class ApiCredentials(BaseModel):
    """Channel API credentials (Shopify's admin API token, BigCommerce's API account token as
    ``access_token``; WooCommerce's REST keys)."""

    model_config = ConfigDict(extra="forbid")

    access_token: Secret | None = None
    consumer_key: Secret | None = None
    consumer_secret: Secret | None = None


class StoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)]
    channel: Literal["shopify", "woocommerce", "bigcommerce"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    webhook_secret: Secret | None = Field(
        default=None,
        description=(
            "Shopify: the signing secret Shopify shows. WooCommerce and BigCommerce: leave empty to get"
            " one (WooCommerce signs with it; BigCommerce sends it in the X-OMS-Webhook-Secret header"
            " its webhooks are registered with)."
        ),
    )
    shop_domain: ShopDomain | None = None
    site_url: SiteUrl | None = None
    store_hash: StoreHash | None = Field(
        default=None,
        description="BigCommerce: the store hash of its API path (api.bigcommerce.com/stores/<hash>)",
    )
    api_credentials: ApiCredentials | None = None
    settings: StoreSettings = Field(default_factory=StoreSettings)

    @model_validator(mode="after")
    def _channel_fields(self) -> StoreCreate:
        if self.channel == "shopify" and not self.webhook_secret:
            raise ValueError("webhook_secret is required for Shopify (Shopify signs with its own secret)")
        if self.channel == "shopify" and self.site_url:
            raise ValueError("site_url is for WooCommerce stores")
        if self.channel != "shopify" and self.shop_domain:
            raise ValueError("shop_domain is for Shopify stores")
        if self.channel == "bigcommerce" and self.site_url:
            raise ValueError("site_url is for WooCommerce stores")
        if self.channel == "bigcommerce" and not self.store_hash:
            raise ValueError("store_hash is required for BigCommerce (its API is addressed by it)")
        if self.channel != "bigcommerce" and self.store_hash:
            raise ValueError("store_hash is for BigCommerce stores")
        if self.channel == "bigcommerce" and not (self.api_credentials and self.api_credentials.access_token):
            # Its webhooks carry only an order's id: every order is read from its API.
            raise ValueError("api_credentials.access_token (a BigCommerce API account token) is required")
        return self


class StoreUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    settings: StoreSettings | None = None
    webhook_secret: Secret | None = None
    api_credentials: ApiCredentials | None = None


class VariantMappingRequest(BaseModel):
    """What a channel variant without a SKU is, for stock: a SKU of ours, or nothing to keep stock of."""

    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)] | None = (
        Field(
            default=None, description="The SKU whose stock this variant takes (required when stock_tracked)"
        )
    )
    stock_tracked: bool = Field(
        default=True,
        description="false: the variant holds no stock (made to order, a service); it still ships",
    )

    @model_validator(mode="after")
    def _sku_when_tracked(self) -> VariantMappingRequest:
        if self.stock_tracked and not self.sku:
            raise ValueError("a stock-tracked variant needs the sku its stock is counted under")
        if not self.stock_tracked and self.sku:
            raise ValueError("a variant that holds no stock has no sku to map to")
        return self


# ---------------------------------------------------------------- stock and locations

LocationIdField = Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)]
CountryCode = Annotated[str, StringConstraints(pattern=COUNTRY_CODE_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LocationCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: LocationIdField
    on_hand: int = Field(ge=0, le=10_000_000)


class StockUpdate(BaseModel):
    """Counted on-hand per location. Reserved stock is never changed by a count."""

    model_config = ConfigDict(extra="forbid")

    locations: list[LocationCount] = Field(min_length=1, max_length=50)
    # Why the shelf changed (a cycle count, goods received, damaged, found): carried by each
    # StockAdjusted event, so the archive and ERP subscribers see it.
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)] | None = (
        None
    )


class ShipFrom(Address):
    """A location's address, as staff enter it (bounded, unlike what channels send)."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    company: Text | None = None
    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    province: Text | None = None
    province_code: Annotated[str, StringConstraints(max_length=10)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country_code: CountryCode | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    country_code: CountryCode
    address: ShipFrom | None = Field(default=None, description="Where labels ship from")
    ships_to: list[CountryCode] = Field(
        default_factory=list, description="Countries this location ships to; empty means anywhere"
    )
    active: bool = True


# ---------------------------------------------------------------- fulfilment


class LabelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = Field(
        default=None, description="A service from GET /shipments/{id}/rates; empty: the store's rate policy"
    )
    scenario: (
        Annotated[str, StringConstraints(pattern=r"^(delivered(:\d{1,2})?|exception|returned|stalled)$")]
        | None
    ) = Field(default=None, description="Sandbox carrier only: the parcel's tracking story")


class TrackingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    tracking_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{4,64}$")]
    tracking_url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=500)] | None = None


class NoteRequest(BaseModel):
    """A note on an order: ``internal`` for staff, ``customer`` also sent to the customer."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
    visibility: NoteVisibility = NoteVisibility.INTERNAL


Tag = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True, pattern=r"^[^,]+$")
]


class TagsRequest(BaseModel):
    """Tags to add and to remove (case-insensitive; a tag has no comma, as in Shopify)."""

    model_config = ConfigDict(extra="forbid")

    add: list[Tag] = Field(default_factory=list, max_length=50)
    remove: list[Tag] = Field(default_factory=list, max_length=50)


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=300)] = "cancelled by staff"


LineIdText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
AmountText = Annotated[Decimal, Field(ge=0, max_digits=15)]


class CancelLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: LineIdText
    quantity: int | None = Field(default=None, ge=1, le=100_000)  # None: all of it not yet shipped


class OrderCancelRequest(BaseModel):
    """Cancel the whole order (no ``lines``) or some units of some lines, before they leave."""

    model_config = ConfigDict(extra="forbid")

    reason: CancelReason
    lines: list[CancelLine] | None = Field(default=None, min_length=1, max_length=1000)
    refund: bool = False  # refund what the cancelled units were paid (and, for all of it, shipping)
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    notify_customer: bool = True


class RefundLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: LineIdText
    quantity: int = Field(ge=1, le=100_000)
    restock: bool = False  # shipped units come back on hand (at location_id, else where they left)
    location_id: Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)] | None = None


class RefundRequest(BaseModel):
    """Give money back: lines (their paid value), shipping (an amount, or "full"), a goodwill amount."""

    model_config = ConfigDict(extra="forbid")

    lines: list[RefundLineRequest] = Field(default_factory=list, max_length=1000)
    shipping: AmountText | Literal["full"] | None = None
    amount: AmountText | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    notify_customer: bool = True


class EditAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    quantity: int = Field(ge=1, le=100_000)
    unit_price: AmountText | None = None  # the order's own price for the SKU when it has one
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class EditChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: LineIdText
    quantity: int = Field(ge=0, le=100_000)  # the line's new quantity (0: all of it cancelled)


class OrderEditRequest(BaseModel):
    """Change an order before it ships: lines added, quantities changed, the shipping address."""

    model_config = ConfigDict(extra="forbid")

    add: list[EditAdd] = Field(default_factory=list, max_length=500)
    change: list[EditChange] = Field(default_factory=list, max_length=500)
    shipping_address: Address | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    refund_owed: bool = False  # refund what the order is worth less after the edit


class JobRequest(BaseModel):
    """A bulk job: an action over ``order_ids`` or the orders a ``filter`` lists."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    action: JobAction
    order_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=MAX_ORDER_IDS
    )
    order_filter: JobFilter | None = Field(default=None, alias="filter")
    params: JobParams = Field(default_factory=JobParams)
    dry_run: bool = False


class ExportRequest(BaseModel):
    """A CSV of the orders a ``filter`` lists: one row per order or per line; ``columns`` to choose."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    order_filter: JobFilter = Field(alias="filter")
    granularity: Granularity = Granularity.ORDER
    columns: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=40
    )


class ReconcileRequest(BaseModel):
    """A window of a store's orders to reconcile: those the channel says changed in it."""

    model_config = ConfigDict(extra="forbid")

    since: UtcDateTime = Field(description="Orders changed from this time (UTC ISO-8601)")
    until: UtcDateTime | None = Field(default=None, description="To this time; default now")


class CatalogSyncRequest(BaseModel):
    """Read the store's whole catalogue: learn every SKU's channel ids, push every level again
    (``repush``: also those pushed before, after their levels were changed on the channel by hand)."""

    model_config = ConfigDict(extra="forbid")

    repush: bool = Field(default=False, description="Push every SKU's level again, even those already on it")


class PrivacyAsk(BaseModel):
    """Who a privacy request is about, in one store: their email, phone or the channel's customer
    id, and the channel's ids of their orders (at least one of them)."""

    model_config = ConfigDict(extra="forbid")

    store_id: Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)]
    email: (
        Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None
    ) = None
    phone: Annotated[str, StringConstraints(min_length=7, max_length=64)] | None = None
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="The channel's customer id"
    )
    order_ids: list[Annotated[str, StringConstraints(pattern=CHANNEL_ORDER_ID_PATTERN)]] = Field(
        default_factory=list, max_length=500, description="The channel's ids of the customer's orders"
    )

    @model_validator(mode="after")
    def _someone(self) -> PrivacyAsk:
        if not (self.email or self.phone or self.customer_id or self.order_ids):
            raise ValueError("name the customer: email, phone, customer_id or order_ids")
        return self

    def customer(self) -> CustomerRef | None:
        if not (self.email or self.phone or self.customer_id):
            return None
        return CustomerRef(email=self.email, phone=self.phone, channel_customer_id=self.customer_id)

    @property
    def channel_order_ids(self) -> list[str]:
        return list(self.order_ids)


class StoreErasure(BaseModel):
    """Erasing a store cannot be undone: ``confirm`` repeats its id."""

    model_config = ConfigDict(extra="forbid")

    confirm: str = Field(description="The store's id, again")


class SubscriptionRequest(BaseModel):
    """A system that wants the OMS's events: its HTTPS URL and the event types (``*``: all)."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(min_length=8, max_length=2000, strip_whitespace=True)] = Field(
        description="https:// and a public host: never a private, loopback or link-local address"
    )
    events: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=100, description="Event types from docs/events.md, or * for every one"
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None

    @model_validator(mode="after")
    def _known_events(self) -> SubscriptionRequest:
        from oms.domain_events import CATALOGUE
        from oms.outbound_webhooks import event_types

        self.events = event_types(CATALOGUE, self.events)
        return self


class ReplayRequest(BaseModel):
    """Send a subscription the archived events of a window again (the last 30 days)."""

    model_config = ConfigDict(extra="forbid")

    since: UtcDateTime = Field(description="Events from this time (UTC ISO-8601)")
    until: UtcDateTime | None = Field(default=None, description="To this time; default now")


# ---------------------------------------------------------------------- returns and claims

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Words = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


class ReturnLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: LineIdText
    quantity: int = Field(ge=1, le=100_000)
    reason: ReasonCode  # one of the store's return reasons
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class ExchangeLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    quantity: int = Field(ge=1, le=100_000)
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    # In the order's currency; leave every price out for a like-for-like swap.
    unit_price: AmountText | None = None


class ReturnRequest(BaseModel):
    """Staff start a return: lines, quantities and reasons; replacements for an exchange. A return
    outside the policy (window closed, final sale) needs ``override``, a reason the timeline keeps."""

    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineRequest] = Field(min_length=1, max_length=500)
    exchange: list[ExchangeLineRequest] = Field(default_factory=list, max_length=100)
    override: Words | None = None


class ReturnApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Literal["carrier", "none"] = "carrier"  # buy a return label from the store's carrier


class ReturnDeclineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Words


class ReturnCancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Words | None = None


class ReceiveLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: LineIdText
    quantity: int = Field(ge=1, le=100_000)
    disposition: Literal["restock", "damaged", "missing"]
    location_id: Annotated[str, StringConstraints(pattern=LOCATION_ID_PATTERN)] | None = None


class ReturnReceiveRequest(BaseModel):
    """Units counted in, per line: back on the shelf (at ``location_id``, else the store's return
    location), damaged (written off) or missing from the parcel."""

    model_config = ConfigDict(extra="forbid")

    lines: list[ReceiveLineRequest] = Field(min_length=1, max_length=500)


class ExchangePaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Words  # the payment's reference (a payment link, a transaction id)
