"""Tracking poller (EventBridge schedule): check parcels that are due with their carriers,
concurrently, within this invocation's time; what it cannot reach stays due for the next run.
New scans are recorded once; deliveries, exceptions and stalls emit their events through the
outbox (alerts go out through the notifier)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.observability import count, lambda_handler_of, logger
from oms.order_changes import Actor
from oms.settings import get_settings
from oms.timeutil import to_utc
from oms.wiring import fulfilment_services

# Stop starting checks this long before the function's timeout (one carrier call's timeout,
# plus the write): checks in flight then finish in time.
SAFETY_SECONDS = 15.0

settings = get_settings()
service = fulfilment_services(settings).tracking


@lambda_handler_of
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, int]:
    now = to_utc(event.time)  # the schedule's time: reruns of one firing see the same "now"
    report = service.poll(
        now,
        remaining=lambda: context.get_remaining_time_in_millis() / 1000 - SAFETY_SECONDS,
        stalled_after=timedelta(days=settings.tracking_stalled_days),
        concurrency=settings.tracking_concurrency,
        limit=settings.tracking_batch_limit,
        actor=Actor("tracking-poller", f"schedule:{event.id}", now),
    )
    count("ParcelsChecked", report.checked)
    count("ParcelsDelivered", report.delivered)
    count("ParcelProblems", report.problems)
    count("TrackingChecksFailed", report.failed)
    count("ParcelsLeftForNextRun", report.left_for_next_run)
    result = {k: v for k, v in asdict(report).items() if k != "shipments"}
    # A run that found nothing due is the common case: logged at debug level only.
    (logger.info if report.due else logger.debug)("tracking run", extra=result)
    return result
