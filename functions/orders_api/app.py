"""Admin API for orders (and GET /me: who is signed in, and their role; GET /dashboard: today's
counts): GET /orders,
GET /orders/{order_id}, POST /orders (manual orders),
POST /orders/{order_id}/retry, /notes, /tags, /cancel, /refunds, /edits and GET /orders/{order_id}/refunds;
GET /orders?q= searches (number, customer email, SKU, tag) through the search index.
Every POST with an Idempotency-Key answers a retry with its first answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, json_response, model_response, responses, staff_actor
from oms.admin_requests import NoteRequest, OrderCancelRequest, OrderEditRequest, RefundRequest, TagsRequest
from oms.admin_responses import (
    CancellationDone,
    CancelledUnits,
    DashboardView,
    EditDone,
    Me,
    NoteAdded,
    OrderLinks,
    OrderPage,
    OrderQueued,
    RefundList,
    RetryQueued,
    TagsDone,
)
from oms.api_params import Cursor, Limit200, OrderId
from oms.channels.manual_orders import ManualOrderRequest
from oms.data.idempotency_store import RequestOnce
from oms.data.intake_queue import IntakeQueue
from oms.data.order_repository import OrderRepository
from oms.data.order_search_index import OrderSearchIndex
from oms.data.return_repository import ReturnRepository
from oms.data.shipment_repository import ShipmentRepository
from oms.data.store_repository import LocationRepository, StoreRepository
from oms.errors import BadRequest
from oms.identifiers import CHANNEL_ORDER_ID_PATTERN, STORE_ID_PATTERN
from oms.models import Channel, Order, Refund
from oms.observability import lambda_handler_of, logger
from oms.order_changes import Actor
from oms.order_edits import AddAsk, EditAsk
from oms.order_lifecycle import HoldReason, OrderStatus
from oms.refunds import LineAsk, RefundAsk, captured, refunded
from oms.services.after_sale import AfterSale
from oms.services.dashboard import Dashboard
from oms.services.order_desk import OrderDesk
from oms.services.order_lookup import OrderLookup
from oms.settings import get_settings
from oms.staff_roles import WAREHOUSE_ROUTES, Role, role_of
from oms.timeutil import utcnow

orders = OrderRepository(finish_pending=False)  # reads show an order in a staged change as it stands
stores = StoreRepository(orders.table)
desk = OrderDesk(orders, stores, IntakeQueue())
lookup = OrderLookup(OrderSearchIndex(orders.table), orders)
dashboard = Dashboard(orders, ReturnRepository(orders.table))
after_sale = AfterSale(ShipmentRepository(orders.table), stores, LocationRepository(orders.table), desk.queue)
# POSTs with an Idempotency-Key answer a retry with the first answer (a refund is made once).
once = RequestOnce("orders-api", orders.table, get_settings())
app = create_app(once)
KeyHeader = Annotated[str | None, Header(alias="idempotency-key", pattern=CHANNEL_ORDER_ID_PATTERN)]


def _actor() -> Actor:
    return Actor(staff_actor(app), f"api:{app.current_event.request_context.request_id}", utcnow())


@app.get(
    "/orders",
    summary="List orders, newest first, or search them (q: number, email, SKU or tag)",
    tags=["orders"],
    responses=responses(200, 400, model=OrderPage),
)
def list_orders(
    q: Annotated[str | None, Query(min_length=1, max_length=210)] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    store: Annotated[str | None, Query(pattern=STORE_ID_PATTERN)] = None,
    placed_from: Annotated[datetime | None, Query(alias="from")] = None,
    placed_to: Annotated[datetime | None, Query(alias="to")] = None,
    hold: Annotated[HoldReason | None, Query(description="orders on hold for this reason")] = None,
    limit: Limit200 = 50,
    cursor: Cursor = None,
) -> Any:
    if q is not None:  # the search index, newest first; the other filters narrow its page
        found = lookup.search(
            q,
            limit=limit,
            cursor=cursor,
            filters={
                "status": "on_hold" if hold else status.value if status else "",
                "channel": channel.value if channel else "",
                "store_id": store or "",
            },
        )
        return json_response(200, {"orders": found.orders, "cursor": found.cursor})
    page = orders.list(
        status=status.value if status else None,
        channel=channel.value if channel else None,
        store_id=store,
        placed_from=placed_from,
        placed_to=placed_to,
        limit=limit,
        cursor=cursor,
        now=utcnow(),
        hold_reason=hold.value if hold else None,
    )
    return json_response(200, {"orders": page.items, "cursor": page.cursor})


@app.get(
    "/me",
    summary="Who is signed in and what their role may call",
    tags=["session"],
    responses=responses(200, model=Me),
)
def who_am_i() -> Any:
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    role = role_of(claims)
    routes = ["*"] if role is Role.STAFF else sorted(WAREHOUSE_ROUTES) if role else []
    subject = str(claims.get("sub") or claims.get("client_id") or "unknown")
    return model_response(200, Me(subject=subject, role=role.value if role else None, routes=routes))


@app.get(
    "/dashboard",
    summary="Today at a glance: orders in, to ship, late, on hold by reason, returns waiting",
    tags=["session"],
    responses=responses(200, 400, model=DashboardView),
)
def today(
    since: Annotated[datetime | None, Query(description="start of the user's day; default: 24 h ago")] = None,
    late_after_hours: Annotated[int, Query(ge=1, le=720)] = 48,
) -> Any:
    now = utcnow()
    start = since or now - timedelta(hours=24)
    if start > now:
        raise BadRequest("'since' is in the future", code="invalid_range")
    counts = dashboard.today(since=start, late_after=timedelta(hours=late_after_hours), now=now)
    return model_response(200, DashboardView.model_validate(counts))


@app.get(
    "/orders/<order_id>",
    summary="One order with its lines and timeline",
    tags=["orders"],
    responses=responses(200, 404, model=Order),
)
def get_order(order_id: OrderId) -> Any:
    return model_response(200, desk.get(order_id))


@app.post(
    "/orders",
    summary="Create a manual (phone or point-of-sale) order",
    tags=["orders"],
    responses=responses(202, 400, 404, model=OrderQueued),
)
def create_order(body: ManualOrderRequest, idempotency_key: KeyHeader = None) -> Any:
    order_id = desk.create_manual(body, idempotency_key=idempotency_key, actor=staff_actor(app), now=utcnow())
    logger.info("manual order queued", extra={"order_id": order_id})
    return model_response(202, OrderQueued(order_id=order_id, links=OrderLinks(order=f"/orders/{order_id}")))


@app.post(
    "/orders/<order_id>/retry",
    summary="Decide an order again (after mapping its variants or counting its stock in)",
    tags=["orders"],
    responses=responses(202, 404, 409, model=RetryQueued),
)
def retry_order(order_id: OrderId) -> Any:
    queued = desk.retry(order_id, actor=staff_actor(app), now=utcnow())
    logger.info("order queued to be decided again", extra={"order_id": order_id})
    return json_response(202, queued)


@app.post(
    "/orders/<order_id>/notes",
    summary="Write a note on an order (internal, or for the customer, who is emailed it)",
    tags=["orders"],
    responses=responses(201, 404, 409, model=NoteAdded),
)
def add_note(order_id: OrderId, body: NoteRequest, idempotency_key: KeyHeader = None) -> Any:
    order, note = desk.add_note(order_id, body, idempotency_key=idempotency_key, actor=_actor())
    logger.info(
        "note added", extra={"order_id": order_id, "note_id": note.note_id, "visibility": note.visibility}
    )
    return model_response(201, NoteAdded(order_id=order_id, note=note, notes=len(order.notes)))


@app.post(
    "/orders/<order_id>/tags",
    summary="Add and remove tags (kept over the channel's later updates)",
    tags=["orders"],
    responses=responses(200, 404, 409, 422, model=TagsDone),
)
def tag_order(order_id: OrderId, body: TagsRequest, idempotency_key: KeyHeader = None) -> Any:
    order, changed = desk.retag(order_id, body.add, body.remove, actor=_actor())
    logger.info("order tags changed" if changed else "order tagged so already", extra={"order_id": order_id})
    return model_response(
        200, TagsDone(order_id=order_id, tags=order.tags, changed=changed, version=order.version)
    )


@app.post(
    "/orders/<order_id>/cancel",
    summary="Cancel an order, or units of its lines, before they leave a warehouse",
    tags=["orders"],
    responses=responses(200, 404, 409, 422, model=CancellationDone),
)
def cancel_order(order_id: OrderId, body: OrderCancelRequest, idempotency_key: KeyHeader = None) -> Any:
    done = after_sale.cancel(
        order_id,
        reason=body.reason.value,
        lines=[(line.line_id, line.quantity) for line in body.lines] if body.lines else None,
        refund=body.refund,
        note=body.note,
        notify_customer=body.notify_customer,
        actor=_actor(),
        cancellation_id=idempotency_key,
    )
    logger.info(
        "order cancelled",
        extra={"order_id": order_id, "units": sum(done.units.values()), "refund": bool(done.refund)},
    )
    return model_response(
        200,
        CancellationDone(
            order_id=order_id,
            cancellation_id=done.cancellation_id,
            status=done.order.status,
            cancelled=[CancelledUnits(line_id=k, quantity=v) for k, v in sorted(done.units.items())],
            refund=done.refund,
        ),
    )


@app.post(
    "/orders/<order_id>/refunds",
    summary="Refund lines (restocking what came back), shipping and a goodwill amount",
    tags=["orders"],
    responses=responses(201, 404, 409, 422, model=Refund),
)
def create_refund(order_id: OrderId, body: RefundRequest, idempotency_key: KeyHeader = None) -> Any:
    ask = RefundAsk(
        lines=[LineAsk(ln.line_id, ln.quantity, ln.restock, ln.location_id) for ln in body.lines],
        shipping=body.shipping,
        amount=body.amount,
        reason=body.reason,
        note=body.note,
        notify_customer=body.notify_customer,
    )
    refund = after_sale.refund(order_id, ask, actor=_actor(), refund_id=idempotency_key)
    logger.info(
        "refund recorded",
        extra={"order_id": order_id, "refund_id": refund.refund_id, "status": refund.status},
    )
    return model_response(201, refund)


@app.post(
    "/orders/<order_id>/edits",
    summary="Edit an order before it ships: add lines, change quantities, change the address",
    tags=["orders"],
    responses=responses(200, 404, 409, 422, model=EditDone),
)
def edit_order(order_id: OrderId, body: OrderEditRequest, idempotency_key: KeyHeader = None) -> Any:
    ask = EditAsk(
        add=[AddAsk(a.sku, a.quantity, a.unit_price, a.name) for a in body.add],
        change=[(c.line_id, c.quantity) for c in body.change],
        shipping_address=body.shipping_address,
        note=body.note,
    )
    order, edit = after_sale.edit(
        order_id, ask, refund_owed=body.refund_owed, actor=_actor(), edit_id=idempotency_key
    )
    logger.info(
        "order edited", extra={"order_id": order_id, "edit_id": edit.edit_id, "added": len(edit.added)}
    )
    return model_response(
        200, EditDone(order_id=order_id, status=order.status, version=order.version, edit=edit)
    )


@app.get(
    "/orders/<order_id>/refunds",
    summary="An order's refunds, what was captured and what is left to refund",
    tags=["orders"],
    responses=responses(200, 404, model=RefundList),
)
def list_refunds(order_id: OrderId) -> Any:
    order, refunds = after_sale.refunds(order_id)
    paid, back = captured(order), refunded(order)
    return model_response(
        200,
        RefundList(order_id=order_id, captured=paid, refunded=back, refundable=paid - back, refunds=refunds),
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    once.register(context)
    return app.resolve(event, context)
