"""Admin API for orders: GET /orders, GET /orders/{order_id}, POST /orders (manual orders),
POST /orders/{order_id}/retry and POST /orders/{order_id}/notes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, json_response, model_response, responses, staff_actor
from oms.admin_requests import NoteRequest
from oms.admin_responses import NoteAdded, OrderLinks, OrderPage, OrderQueued, RetryQueued
from oms.api_params import Cursor, Limit200, OrderId
from oms.channels.manual_orders import ManualOrderRequest
from oms.data.intake_queue import IntakeQueue
from oms.data.order_repository import OrderRepository
from oms.data.store_repository import StoreRepository
from oms.identifiers import CHANNEL_ORDER_ID_PATTERN, STORE_ID_PATTERN
from oms.models import Channel, Order
from oms.observability import lambda_handler_of, logger
from oms.order_changes import Actor
from oms.order_lifecycle import OrderStatus
from oms.services.order_desk import OrderDesk
from oms.timeutil import utcnow

app = create_app()
orders = OrderRepository(finish_pending=False)  # read-only: an order in a staged change is shown as it stands
desk = OrderDesk(orders, StoreRepository(orders.table), IntakeQueue())


@app.get(
    "/orders",
    summary="List orders, newest first",
    tags=["orders"],
    responses=responses(200, 400, model=OrderPage),
)
def list_orders(
    status: Annotated[OrderStatus | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    store: Annotated[str | None, Query(pattern=STORE_ID_PATTERN)] = None,
    placed_from: Annotated[datetime | None, Query(alias="from")] = None,
    placed_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Limit200 = 50,
    cursor: Cursor = None,
) -> Any:
    page = orders.list(
        status=status.value if status else None,
        channel=channel.value if channel else None,
        store_id=store,
        placed_from=placed_from,
        placed_to=placed_to,
        limit=limit,
        cursor=cursor,
        now=utcnow(),
    )
    return json_response(200, {"orders": page.items, "cursor": page.cursor})


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
def create_order(
    body: ManualOrderRequest,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", pattern=CHANNEL_ORDER_ID_PATTERN)
    ] = None,
) -> Any:
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
def add_note(
    order_id: OrderId,
    body: NoteRequest,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", pattern=CHANNEL_ORDER_ID_PATTERN)
    ] = None,
) -> Any:
    actor = Actor(staff_actor(app), f"api:{app.current_event.request_context.request_id}", utcnow())
    order, note = desk.add_note(order_id, body, idempotency_key=idempotency_key, actor=actor)
    logger.info(
        "note added", extra={"order_id": order_id, "note_id": note.note_id, "visibility": note.visibility}
    )
    return model_response(201, NoteAdded(order_id=order_id, note=note, notes=len(order.notes)))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
