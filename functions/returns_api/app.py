"""Admin API for returns and claims: POST|GET /orders/{order_id}/returns, POST /orders/{order_id}/claims,
GET /returns, GET /returns/{return_id}, POST /returns/{return_id}/approve, /decline, /receive, /refund,
/cancel and /payment (oms.services.return_desk). Every POST with an Idempotency-Key answers a retry
with its first answer."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, model_response, responses, staff_actor
from oms.admin_requests import (
    ExchangePaymentRequest,
    ReturnApproveRequest,
    ReturnCancelRequest,
    ReturnDeclineRequest,
    ReturnReceiveRequest,
    ReturnRequest,
)
from oms.admin_responses import ClaimDone, OrderReturns, ReturnableLine, ReturnPage, ReturnSummary
from oms.api_params import Cursor, Limit100, OrderId
from oms.claims import ClaimAsk
from oms.data.idempotency_store import RequestOnce
from oms.data.return_repository import ReturnRepository
from oms.identifiers import CHANNEL_ORDER_ID_PATTERN, ORDER_ID_MAX_LENGTH, RETURN_ID_PATTERN
from oms.observability import lambda_handler_of, logger
from oms.order_changes import Actor
from oms.return_lifecycle import ReturnStatus
from oms.returns import ExchangeAsk, LineReceipt, LineReturn, Return
from oms.settings import get_settings
from oms.timeutil import utcnow
from oms.wiring import return_desk

settings = get_settings()
desk = return_desk(settings)
records = ReturnRepository()  # listings
once = RequestOnce("returns-api", records.table, settings)
app = create_app(once)
KeyHeader = Annotated[str | None, Header(alias="idempotency-key", pattern=CHANNEL_ORDER_ID_PATTERN)]
ReturnId = Annotated[str, Path(min_length=3, max_length=ORDER_ID_MAX_LENGTH + 6, pattern=RETURN_ID_PATTERN)]


def _actor() -> Actor:
    return Actor(staff_actor(app), f"api:{app.current_event.request_context.request_id}", utcnow())


def _done(status: int, ret: Return, what: str) -> Any:
    logger.info(f"return {what}", extra={"return_id": ret.return_id, "status": ret.status.value})
    return model_response(status, ret)


@app.post(
    "/orders/<order_id>/returns",
    summary="Start a return (or an exchange) of shipped units; policy checks give 409 unless overridden",
    tags=["returns"],
    responses=responses(201, 404, 409, 422, model=Return),
)
def start_return(order_id: OrderId, body: ReturnRequest, idempotency_key: KeyHeader = None) -> Any:
    exchange = [ExchangeAsk(x.sku, x.quantity, x.name, x.unit_price) for x in body.exchange]
    ret = desk.request(
        order_id,
        [
            LineReturn(line_id=x.line_id, quantity=x.quantity, reason=x.reason, note=x.note)
            for x in body.lines
        ],
        actor=_actor(),
        source="staff",
        exchange=exchange,
        override=body.override,
    )
    return _done(201, ret, "requested")


@app.get(
    "/orders/<order_id>/returns",
    summary="An order's returns, and what may still come back under the store's policy",
    tags=["returns"],
    responses=responses(200, 404, model=OrderReturns),
)
def order_returns(order_id: OrderId) -> Any:
    view = desk.returnable(order_id, utcnow())
    lines = [
        ReturnableLine(
            line_id=line.line_id,
            sku=line.stock_item or line.sku,
            name=line.name,
            shipped=view.shipped.get(line.line_id, 0),
            returnable=view.lines.get(line.line_id, 0),
            final_sale=line.line_id in view.final_sale,
        )
        for line in view.order.lines
    ]
    body = OrderReturns(
        order_id=order_id, window_closes=view.window_closes, lines=lines, returns=desk.of_order(order_id)
    )
    return model_response(200, body)


@app.post(
    "/orders/<order_id>/claims",
    summary="Open a claim (missing, wrong or damaged units): reship them free or refund them",
    tags=["returns"],
    responses=responses(201, 404, 409, 422, model=ClaimDone),
)
def open_claim(order_id: OrderId, body: ClaimAsk, idempotency_key: KeyHeader = None) -> Any:
    order, claim = desk.claim(order_id, body, actor=_actor())
    logger.info("claim opened", extra={"order_id": order_id, "claim_id": claim.claim_id})
    return model_response(201, ClaimDone(order_id=order_id, status=order.status, claim=claim))


@app.get(
    "/returns",
    summary="Returns, newest first, all or in one status",
    tags=["returns"],
    responses=responses(200, 400, model=ReturnPage),
)
def list_returns(
    status: Annotated[ReturnStatus | None, Query()] = None, limit: Limit100 = 50, cursor: Cursor = None
) -> Any:
    page = records.list(status=status.value if status else None, limit=limit, cursor=cursor)
    body = ReturnPage(returns=[ReturnSummary.model_validate(x) for x in page.items], cursor=page.cursor)
    return model_response(200, body)


@app.get(
    "/returns/<return_id>",
    summary="A return: its lines, label, tracking, refund and timeline",
    tags=["returns"],
    responses=responses(200, 404, model=Return),
)
def get_return(return_id: ReturnId) -> Any:
    return model_response(200, desk.get(return_id))


@app.post(
    "/returns/<return_id>/approve",
    summary="Approve a return: a label from the store's carrier (or none); an exchange's stock reserved",
    tags=["returns"],
    responses=responses(200, 404, 409, model=Return),
)
def approve(return_id: ReturnId, body: ReturnApproveRequest, idempotency_key: KeyHeader = None) -> Any:
    return _done(200, desk.approve(return_id, label=body.label, actor=_actor()), "approved")


@app.post(
    "/returns/<return_id>/decline",
    summary="Decline a requested return, saying why",
    tags=["returns"],
    responses=responses(200, 404, 409, model=Return),
)
def decline(return_id: ReturnId, body: ReturnDeclineRequest, idempotency_key: KeyHeader = None) -> Any:
    return _done(200, desk.decline(return_id, reason=body.reason, actor=_actor()), "declined")


@app.post(
    "/returns/<return_id>/receive",
    summary="Count returned units in: restock (once), damaged (written off) or missing, per line",
    tags=["returns"],
    responses=responses(200, 400, 404, 409, model=Return),
)
def receive(return_id: ReturnId, body: ReturnReceiveRequest, idempotency_key: KeyHeader = None) -> Any:
    receipts = [
        LineReceipt(
            line_id=x.line_id, quantity=x.quantity, disposition=x.disposition, location_id=x.location_id
        )
        for x in body.lines
    ]
    return _done(200, desk.receive(return_id, receipts, actor=_actor()), "received")


@app.post(
    "/returns/<return_id>/refund",
    summary="Refund a return now (what its units were paid, less the policy's deductions), once",
    tags=["returns"],
    responses=responses(200, 404, 409, model=Return),
)
def refund(return_id: ReturnId, idempotency_key: KeyHeader = None) -> Any:
    return _done(200, desk.refund(return_id, actor=_actor()), "refunded")


@app.post(
    "/returns/<return_id>/cancel",
    summary="Cancel a return before it is received (its label voided)",
    tags=["returns"],
    responses=responses(200, 404, 409, model=Return),
)
def cancel(return_id: ReturnId, body: ReturnCancelRequest, idempotency_key: KeyHeader = None) -> Any:
    return _done(200, desk.cancel(return_id, reason=body.reason, actor=_actor()), "cancelled")


@app.post(
    "/returns/<return_id>/payment",
    summary="Record that the customer paid what an exchange owed: its replacement ships",
    tags=["returns"],
    responses=responses(200, 404, 409, model=Return),
)
def payment(return_id: ReturnId, body: ExchangePaymentRequest, idempotency_key: KeyHeader = None) -> Any:
    return _done(200, desk.record_payment(return_id, reference=body.reference, actor=_actor()), "paid")


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    once.register(context)
    return app.resolve(event, context)
