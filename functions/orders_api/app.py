"""Admin API for orders: GET /orders, GET /orders/{order_id}, POST /orders (manual orders)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, json_response, responses, staff_actor
from oms.channels.manual_orders import ManualOrderRequest, QueuedManualOrder
from oms.data.intake_queue import IntakeQueue
from oms.data.order_repository import OrderRepository
from oms.data.store_repository import StoreRepository
from oms.errors import BadRequest, NotFound
from oms.identifiers import CHANNEL_ORDER_ID_PATTERN, MANUAL, STORE_ID_PATTERN, order_id_for
from oms.models import Channel
from oms.observability import logger, metrics, traced
from oms.order_lifecycle import OrderStatus
from oms.timeutil import iso, utcnow
from oms.webhooks import IntakeMessage

app = create_app()
orders = OrderRepository()
stores = StoreRepository(orders.table)
queue = IntakeQueue()


@app.get("/orders", summary="List orders, newest first", tags=["orders"], responses=responses(200, 400))
def list_orders(
    status: Annotated[OrderStatus | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    store: Annotated[str | None, Query(pattern=STORE_ID_PATTERN)] = None,
    placed_from: Annotated[datetime | None, Query(alias="from")] = None,
    placed_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=4000)] = None,
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
    responses=responses(200, 404),
)
def get_order(order_id: Annotated[str, Path(max_length=200)]) -> Any:
    order = orders.get(order_id)
    if order is None:
        raise NotFound(f"no order {order_id!r}", code="order_not_found")
    return json_response(200, order.public())


@app.post(
    "/orders",
    summary="Create a manual (phone or point-of-sale) order",
    tags=["orders"],
    responses=responses(202, 400, 404),
)
def create_order(
    body: ManualOrderRequest,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", pattern=CHANNEL_ORDER_ID_PATTERN)
    ] = None,
) -> Any:
    if stores.find(body.store_id) is None:
        raise NotFound(f"unknown store {body.store_id!r}", code="unknown_store")
    reference = body.reference or idempotency_key or uuid.uuid4().hex[:24]
    if body.reference and idempotency_key and body.reference != idempotency_key:
        raise BadRequest("reference and Idempotency-Key differ", code="conflicting_reference")
    now = utcnow()
    queued = QueuedManualOrder(**body.model_dump(), id=reference, placed_at=now)
    message = IntakeMessage(
        channel=MANUAL,
        store_id=body.store_id,
        topic="orders/create",
        event_id=f"manual:{reference}",
        channel_order_id=reference,
        body=json.dumps(queued.model_dump(mode="json")),
        received_at=iso(now),
        attributes={"actor": staff_actor(app)},
    )
    queue.enqueue(message)
    order_id = order_id_for(body.store_id, reference)
    logger.info("manual order queued", extra={"order_id": order_id})
    return json_response(
        202, {"order_id": order_id, "status": "queued", "links": {"order": f"/orders/{order_id}"}}
    )


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
