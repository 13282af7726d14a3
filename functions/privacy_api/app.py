"""Admin API for personal data (oms.privacy), for every channel: POST /privacy/redactions (a
customer's personal data erased from their orders), POST /privacy/data-requests (their orders as a
file for staff), POST /stores/{store_id}/erase (a whole store's), GET /privacy/requests/{id} (what a
request did, and a data request's download link)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, model_response, responses, staff_actor
from oms.admin_requests import PrivacyAsk, StoreErasure
from oms.admin_responses import PrivacyRequestView
from oms.api_params import StoreId
from oms.data.privacy_queue import PrivacyQueue
from oms.data.privacy_repository import PrivacyFiles, PrivacyRepository
from oms.data.store_repository import StoreRepository
from oms.errors import BadRequest, NotFound
from oms.observability import lambda_handler_of, logger
from oms.privacy import PrivacyKind, PrivacyRequest
from oms.timeutil import utcnow

app = create_app()
stores = StoreRepository()
records = PrivacyRepository(stores.table)
files = PrivacyFiles()
queue = PrivacyQueue()
REQUEST_ID = r"^[A-Za-z0-9_.:-]{1,120}$"
# The same key again answers the first request (it names the request: staff-<key>).
KeyHeader = Annotated[str | None, Header(alias="idempotency-key", pattern=r"^[A-Za-z0-9_.:-]{1,80}$")]


def _queue(kind: PrivacyKind, store_id: str, body: PrivacyAsk | None, key: str | None) -> Any:
    """The request recorded and queued; the same Idempotency-Key again answers the first one."""
    if stores.find(store_id) is None:
        raise NotFound("unknown store", code="unknown_store")
    request = PrivacyRequest(
        request_id=f"staff-{key or uuid.uuid4().hex[:20]}",
        kind=kind,
        store_id=store_id,
        customer=body.customer() if body else None,
        channel_order_ids=body.channel_order_ids if body else [],
        source="staff",
        requested_by=staff_actor(app),
        received_at=utcnow(),
    )
    record, new = records.start(request)  # GET /privacy/requests/{id} answers from now on
    if not new:
        return model_response(202, PrivacyRequestView.of(record))
    queue.send(request)
    logger.info("privacy request queued", extra={"request_id": request.request_id, "kind": kind})
    return model_response(202, PrivacyRequestView.of(record))


@app.post(
    "/privacy/redactions",
    summary="Erase a customer's personal data from their orders in a store (any channel)",
    tags=["privacy"],
    responses=responses(202, 404, model=PrivacyRequestView),
)
def redact(body: PrivacyAsk, idempotency_key: KeyHeader = None) -> Any:
    return _queue(PrivacyKind.REDACT, body.store_id, body, idempotency_key)


@app.post(
    "/privacy/data-requests",
    summary="A customer's orders in a store, as a file for staff to hand over",
    tags=["privacy"],
    responses=responses(202, 404, model=PrivacyRequestView),
)
def data_request(body: PrivacyAsk, idempotency_key: KeyHeader = None) -> Any:
    return _queue(PrivacyKind.DATA_REQUEST, body.store_id, body, idempotency_key)


@app.post(
    "/stores/<store_id>/erase",
    summary="Erase a store: every order's personal data, its secrets; its books stay",
    tags=["privacy"],
    responses=responses(202, 400, 404, model=PrivacyRequestView),
)
def erase_store(store_id: StoreId, body: StoreErasure, idempotency_key: KeyHeader = None) -> Any:
    if body.confirm != store_id:
        raise BadRequest(
            "confirm with the store's id: its erasure cannot be undone", code="erasure_not_confirmed"
        )
    return _queue(PrivacyKind.SHOP_REDACT, store_id, None, idempotency_key)


@app.get(
    "/privacy/requests/<request_id>",
    summary="What a privacy request did (a data request's file as a link, an hour)",
    tags=["privacy"],
    responses=responses(200, 404, model=PrivacyRequestView),
)
def get_request(request_id: Annotated[str, Path(pattern=REQUEST_ID)]) -> Any:
    record = records.get(request_id)
    if record is None:
        raise NotFound(f"no privacy request {request_id!r}", code="privacy_request_not_found")
    url = files.url(record.file_key) if record.file_key else None
    return model_response(200, PrivacyRequestView.of(record, url))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
