"""Order sweeper (EventBridge schedule): finish order changes committed in stages that were left
half way (oms.services.sweep_service)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.dynamo_table import Table
from oms.data.staged_commit import StagedCommit
from oms.observability import count, lambda_handler_of, logger
from oms.services.sweep_service import SweepService
from oms.timeutil import to_utc

service = SweepService(StagedCommit(Table()))


@lambda_handler_of
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    report = service.sweep(to_utc(event.time))
    count("StagedChangesSettled", len(report.settled))
    (logger.info if report.found else logger.debug)(
        "sweep run", extra={"found": report.found, "settled": report.settled[:50], "failed": report.failed}
    )
    return {"found": report.found, "settled": len(report.settled), "failed": report.failed}
