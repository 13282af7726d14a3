"""Admin API for bulk jobs: POST /jobs (202: chunked through the jobs queue), GET /jobs/{job_id}
(counters and each order's result), POST /jobs/{job_id}/retry (the failed orders again); order
exports: POST /exports (202: written by the jobs worker), GET /exports/{export_id} (its URL)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, model_response, responses, staff_actor
from oms.admin_requests import ExportRequest, JobRequest
from oms.admin_responses import ExportView, JobView, export_view, job_view
from oms.api_params import Cursor, Limit200
from oms.bulk_jobs import Outcome
from oms.data.dynamo_table import Table
from oms.data.idempotency_store import RequestOnce
from oms.identifiers import CHANNEL_ORDER_ID_PATTERN
from oms.observability import lambda_handler_of, logger
from oms.settings import get_settings
from oms.timeutil import utcnow
from oms.wiring import bulk_jobs, export_service

jobs = bulk_jobs()
exports = export_service()
once = RequestOnce("jobs-api", Table(), get_settings())
app = create_app(once)
KeyHeader = Annotated[str | None, Header(alias="idempotency-key", pattern=CHANNEL_ORDER_ID_PATTERN)]
JobId = Annotated[str, Path(pattern=CHANNEL_ORDER_ID_PATTERN)]


@app.post(
    "/jobs",
    summary="Start a bulk job (cancel, tag, allocate, pack, buy labels, pick lists, export) over orders",
    tags=["jobs"],
    responses=responses(202, 400, 422, model=JobView),
)
def start_job(body: JobRequest, idempotency_key: KeyHeader = None) -> Any:
    job = jobs.start(
        action=body.action,
        params=body.params,
        order_ids=body.order_ids,
        order_filter=body.order_filter,
        dry_run=body.dry_run,
        actor=staff_actor(app),
        now=utcnow(),
        job_id=idempotency_key,
    )
    logger.info("job started", extra={"job_id": job.job_id, "action": job.action, "total": job.total})
    return model_response(202, job_view(job))


@app.get(
    "/jobs/<job_id>",
    summary="A job's progress and each order's result (outcome and error code)",
    tags=["jobs"],
    responses=responses(200, 400, 404, model=JobView),
)
def get_job(
    job_id: JobId,
    outcome: Annotated[Outcome | None, Query()] = None,
    limit: Limit200 = 100,
    cursor: Cursor = None,
) -> Any:
    job, page, url = jobs.get(job_id, outcome=outcome, limit=limit, cursor=cursor)
    return model_response(200, job_view(job, page.items, page.cursor, url))


@app.post(
    "/jobs/<job_id>/retry",
    summary="Run a finished job's failed orders again",
    tags=["jobs"],
    responses=responses(202, 404, 409, model=JobView),
)
def retry_job(job_id: JobId) -> Any:
    job, count = jobs.retry(job_id)
    logger.info("job retried", extra={"job_id": job_id, "orders": count, "attempt": job.attempt})
    return model_response(202, job_view(job))


@app.post(
    "/exports",
    summary="Export the orders a filter lists as CSV (per order or per line), to a presigned URL",
    tags=["jobs"],
    responses=responses(202, 400, 422, model=ExportView),
)
def start_export(body: ExportRequest, idempotency_key: KeyHeader = None) -> Any:
    export = exports.start(
        body.order_filter,
        body.granularity,
        body.columns,
        actor=staff_actor(app),
        now=utcnow(),
        export_id=idempotency_key,
    )
    logger.info("export started", extra={"export_id": export.export_id, "granularity": export.granularity})
    return model_response(202, export_view(export))


@app.get(
    "/exports/<export_id>",
    summary="An export: pending, or ready with its file's presigned URL",
    tags=["jobs"],
    responses=responses(200, 400, 404, model=ExportView),
)
def get_export(export_id: JobId) -> Any:
    export, url = exports.get(export_id)
    return model_response(200, export_view(export, url))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    once.register(context)
    return app.resolve(event, context)
