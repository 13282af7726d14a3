"""The admin API's success bodies, as models: docs/openapi.json documents each one, the
schemathesis suite checks every answer against it, and API clients (the admin app) can rely on it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oms.bulk_jobs import Job, JobAction, JobParams, JobResult
from oms.carriers.carrier import Rate
from oms.catalog_sync import CatalogStatus, CatalogSync
from oms.inventory_sync import SyncProblem
from oms.line_identity import VariantMapping
from oms.missed_orders import Reconciliation
from oms.models import Claim, Hold, Location, Note, OrderEdit, Refund, StockLevel, Store, Totals
from oms.money import Money
from oms.order_export import Export, ExportStatus, Granularity
from oms.order_lifecycle import OrderStatus
from oms.outbound_webhooks import Subscription
from oms.privacy import PrivacyKind, PrivacyRecord, PrivacyStatus
from oms.returns import Return
from oms.shipments import Shipment
from oms.timeutil import UtcDateTime


class Body(BaseModel):
    model_config = ConfigDict(defer_build=True)


class Page(Body):
    cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page; null: the last")


class OrderSummary(Body):
    """An order as listings show it (no customer data)."""

    order_id: str
    number: str
    status: OrderStatus
    channel: str
    store_id: str
    placed_at: UtcDateTime
    totals: Totals | None = None
    payment_status: str | None = None
    hold: Hold | None = None


class OrderPage(Page):
    orders: list[OrderSummary]


class OrderLinks(Body):
    order: str


class OrderQueued(Body):
    """A manual order accepted for the intake (GET its link to follow it)."""

    order_id: str
    status: str = "queued"
    links: OrderLinks


class NoteAdded(Body):
    """The note as written (the same note again when the Idempotency-Key was seen before)."""

    order_id: str
    note: Note
    notes: int  # how many notes the order has now


class TagsDone(Body):
    """The order's tags after the change (unchanged when it had them so already)."""

    order_id: str
    tags: list[str]
    changed: bool
    version: int


class CancelledUnits(Body):
    line_id: str
    quantity: int


class CancellationDone(Body):
    """What a cancel did: the units cancelled now (none: nothing was left to cancel, a repeat),
    the order's status after it, and the refund made with it."""

    order_id: str
    cancellation_id: str
    status: OrderStatus
    cancelled: list[CancelledUnits]
    refund: Refund | None = None


class EditDone(Body):
    """The edit as recorded (the same edit again for a repeated Idempotency-Key) and the order's
    status after it; new lines are allocated by the fulfilment step within seconds."""

    order_id: str
    status: OrderStatus
    version: int
    edit: OrderEdit


class RefundList(Body):
    """An order's refunds, with what was captured and what is left to refund (failed refunds
    moved no money and count for nothing)."""

    order_id: str
    captured: Money
    refunded: Money
    refundable: Money
    refunds: list[Refund]


class RetryQueued(Body):
    order_id: str
    status: OrderStatus
    queued: bool


class LocationStock(Body):
    location: str | None = None
    on_hand: int
    reserved: int
    available: int
    updated_at: UtcDateTime | None = None


class SkuStock(Body):
    """A SKU's stock: its total over every location, and each location's."""

    sku: str
    on_hand: int
    reserved: int
    available: int
    locations: list[LocationStock]


class StockPage(Page):
    stock: list[StockLevel]


class LocationPage(Page):
    locations: list[Location]


class StoreView(Store):
    webhook_url: str = Field(description="Where the channel sends its webhooks")
    webhook_secret: str | None = Field(
        default=None, description="Only when the OMS generated it (WooCommerce): shown once, never again"
    )


class StorePage(Page):
    stores: list[Store]


class ReconcileRunView(Body):
    store_id: str
    since: UtcDateTime
    until: UtcDateTime
    status: str = Field(description="queued: the run reads the channel's orders shortly")


class StockSyncView(Body):
    """Whether the store's stock is set from ours (its ``inventory_sync`` setting, API keys and a
    channel we push to) and the last push its channel refused (a pushed SKU's refusal, or the
    store's credentials); a wait the channel asked for is retried, never shown here."""

    store_id: str
    syncs: bool
    last_problem: SyncProblem | None = None


class ReconciliationView(Reconciliation):
    """The store's watermark (the end of the last window read completely) and its last run."""


class VariantPage(Page):
    variants: list[VariantMapping]


class ShipmentSummary(Body):
    shipment_id: str
    order_id: str
    store_id: str
    location: str
    status: str
    carrier: str | None = None
    tracking_number: str | None = None


class ShipmentPage(Page):
    shipments: list[ShipmentSummary]


class OrderShipments(Body):
    order_id: str
    status: OrderStatus
    shipments: list[Shipment]


class Allocation(Body):
    order_id: str
    shipments: list[Shipment] = Field(description="The shipments this allocation created")


class RateList(Body):
    shipment_id: str
    rates: list[Rate]


class JobLinks(Body):
    job: str
    retry: str


class JobView(Body):
    """A bulk job: its counters, status (planning, running, done) and a page of per-order results."""

    job_id: str
    action: JobAction
    status: str
    dry_run: bool
    total: int | None
    done: int
    failed: int
    retrying: int
    attempt: int
    params: JobParams
    created_at: UtcDateTime
    updated_at: UtcDateTime
    results: list[JobResult] = Field(default_factory=list)
    cursor: str | None = None
    # print_pick_lists and export jobs: their one file, once the last result is in (an hour)
    document_url: str | None = None
    links: JobLinks


def job_view(
    job: Job, results: list[dict[str, Any]] | None = None, cursor: str | None = None, url: str | None = None
) -> JobView:
    return JobView(
        job_id=job.job_id,
        action=job.action,
        status=job.status,
        dry_run=job.dry_run,
        total=job.total,
        done=job.done,
        failed=job.failed,
        retrying=job.retrying,
        attempt=job.attempt,
        params=job.params,
        created_at=job.created_at,
        updated_at=job.updated_at,
        results=[JobResult.model_validate(r) for r in results or []],
        cursor=cursor,
        document_url=url,
        links=JobLinks(job=f"/jobs/{job.job_id}", retry=f"/jobs/{job.job_id}/retry"),
    )


class ExportView(Body):
    """An export: ``pending`` until its file is written, then ``ready`` with a presigned ``url``
    (valid an hour; ask again for a new one; the file is kept 7 days)."""

    export_id: str
    status: ExportStatus
    granularity: Granularity
    columns: list[str]
    orders: int | None = None
    rows: int | None = None
    url: str | None = None
    error: str | None = None
    created_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    links: dict[str, str]


def export_view(export: Export, url: str | None = None) -> ExportView:
    return ExportView(
        export_id=export.export_id,
        status=export.status,
        granularity=export.granularity,
        columns=export.columns,
        orders=export.orders,
        rows=export.rows,
        url=url,
        error=export.error,
        created_at=export.created_at,
        finished_at=export.finished_at,
        links={"export": f"/exports/{export.export_id}"},
    )


class CatalogSyncView(Body):
    """The store's catalogue sync under way, or its last one: what it read and found on one side
    only (``channel_only``: sold on the channel, never counted here; ``ours_only``: counted here, not
    sold there; up to 50 of each named)."""

    store_id: str
    status: CatalogStatus | None = Field(default=None, description="running, finished or failed; none yet")
    requested_by: str | None = None
    repush: bool = False
    started_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None
    pages: int = 0
    listed: int = Field(default=0, description="SKUs the channel sells (stock tracked)")
    matched: int = Field(default=0, description="of those, SKUs we stock")
    queued: int = Field(default=0, description="SKUs whose level was pushed (the store syncs)")
    channel_only: int = 0
    ours_only: int = 0
    channel_only_skus: list[str] = Field(default_factory=list)
    ours_only_skus: list[str] = Field(default_factory=list)
    problem: str | None = None

    @classmethod
    def of(cls, record: CatalogSync | None, store_id: str) -> CatalogSyncView:
        if record is None:
            return cls(store_id=store_id)
        return cls.model_validate(record.model_dump(exclude={"run_id", "next_phase", "next_cursor"}))


class PrivacyRequestView(Body):
    """A privacy request and what it did: counts and ids, never the person it is about."""

    request_id: str
    kind: PrivacyKind
    store_id: str
    status: PrivacyStatus
    source: str
    requested_by: str
    received_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    orders: int = Field(default=0, description="Orders found and handled")
    order_ids: list[str] = Field(default_factory=list, description="The first hundred of them")
    download_url: str | None = Field(default=None, description="A data request's file (an hour)")
    problem: str | None = None

    @classmethod
    def of(cls, record: PrivacyRecord, url: str | None = None) -> PrivacyRequestView:
        return cls.model_validate(
            {**record.model_dump(exclude={"file_key", "channel_request_id"}), "download_url": url}
        )


class SubscriptionView(Subscription):
    secret: str | None = Field(
        default=None,
        description="The signing secret: in the answer that made the subscription only, never again",
    )


class SubscriptionPage(Page):
    subscriptions: list[Subscription]


class ReplayView(Body):
    subscription_id: str
    since: UtcDateTime
    until: UtcDateTime
    status: str = Field(description="started: the window's events are being sent again")


class ReturnSummary(Body):
    return_id: str
    order_id: str
    store_id: str | None = None
    number: str | None = None
    status: str | None = None
    created_at: str


class ReturnPage(Page):
    returns: list[ReturnSummary]


class ReturnableLine(Body):
    line_id: str
    sku: str | None
    name: str
    shipped: int
    returnable: int = Field(description="Units that may still come back under the policy (0: none)")
    final_sale: bool


class OrderReturns(Body):
    """An order's returns, and what may still come back (the policy applied)."""

    order_id: str
    window_closes: UtcDateTime | None
    lines: list[ReturnableLine]
    returns: list[Return]


class ClaimDone(Body):
    order_id: str
    status: OrderStatus
    claim: Claim


class Me(Body):
    """Who the token belongs to and what its role may call (oms.staff_roles): the admin app shows
    only those actions; the API refuses the rest with 403 whatever a client shows."""

    subject: str
    role: str | None = Field(description="staff, warehouse, or null: a user not yet given a role")
    routes: list[str] = Field(description='route keys ("GET /orders") the role may call; ["*"]: every route')


class DashboardView(Body):
    """Today's counts for the admin app's home; each links to the filtered list."""

    since: UtcDateTime
    count_cap: int = Field(
        description="no count goes above this: a count equal to it means that many or more"
    )
    orders_in: int = Field(description="orders placed since `since`")
    to_ship: dict[str, int] = Field(description="orders per status that still have to ship")
    late: int = Field(description="orders to ship placed before `late_before`")
    late_before: UtcDateTime
    waiting: dict[str, int] = Field(description="placed, awaiting payment, on hold")
    on_hold_by_reason: dict[str, int]
    returns_waiting: dict[str, int] = Field(description="returns per status not yet settled")
