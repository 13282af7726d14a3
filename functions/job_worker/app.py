"""Bulk job worker (JobsQueue): resolves a job's filter into chunks, runs one chunk of orders
through the job's operation and records each order's result once (oms.services.bulk_job_service),
or writes an order export to S3 (oms.services.export_service)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.bulk_jobs import ChunkMessage
from oms.observability import count, lambda_handler_of, logger
from oms.timeutil import utcnow
from oms.wiring import bulk_jobs, export_service

jobs = bulk_jobs()
exports = export_service()
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    message = ChunkMessage.model_validate_json(record.body)
    if message.export_id:
        export = exports.run(message.export_id, now=utcnow())
        logger.info(
            "export written",
            extra={"export_id": export.export_id, "status": export.status, "rows": export.rows},
        )
        return
    if message.plan:
        total = jobs.plan(message.job_id)
        logger.info("job planned", extra={"job_id": message.job_id, "orders": total})
        return
    ran = jobs.run_chunk(message.job_id, message.order_ids, message.attempt, now=utcnow)
    count("JobOrdersRun", ran)
    logger.info("job chunk run", extra={"job_id": message.job_id, "orders": ran, "attempt": message.attempt})


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
