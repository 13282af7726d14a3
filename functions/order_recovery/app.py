"""Order recovery (reconciliation, oms.missed_orders): on its schedule, queues a run for every
store that is due; from the reconcile queue, runs one store window at a time, putting each order
the channel changed and we lack on the intake queue (oms.services.order_recovery_service). A run
that fails in a way the channel may recover from is retried from the queue, then kept in its DLQ
(alarmed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.channel_push import order_reads
from oms.integrations.http_transport import Transport, UrllibTransport
from oms.missed_orders import ReconcileRun
from oms.observability import count, lambda_handler_of, logger
from oms.timeutil import utcnow
from oms.wiring import order_recovery

transport: Transport = UrllibTransport()  # the channels' APIs (tests replay exchanges here)
service = order_recovery(readers=lambda store, credentials: order_reads(store, credentials, transport))
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord, lambda_context: LambdaContext) -> None:
    outcome = service.attempt(
        ReconcileRun.model_validate_json(record.body),
        utcnow(),
        lambda: lambda_context.get_remaining_time_in_millis() / 1000,
        int(record.attributes.approximate_receive_count),
    )
    run = outcome.run
    if outcome.finished and not outcome.problem:
        count("OrdersFoundByReconciliation", run.found)
    logger.info(
        "reconciled" if outcome.finished else "reconciling, the rest queued",
        extra={
            "store_id": run.store_id,
            "run_id": run.run_id,
            "pages": run.pages,
            "listed": run.listed,
            "missing": run.missing,
            "stale": run.stale,
            "moved_watermark": outcome.moved_watermark,
            "problem": outcome.problem,
        },
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" not in event:  # the schedule's tick
        runs = service.schedule(utcnow())
        if runs:  # an idle tick (nothing due) says nothing
            logger.info("reconciliation scheduled", extra={"stores": [r.store_id for r in runs]})
        return {"queued": len(runs)}
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
