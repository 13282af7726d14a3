"""Order completer (daily EventBridge schedule): delivered orders whose return window (store
setting, days) has passed become completed (OrderCompleted)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.observability import count, logger, metrics, traced
from oms.order_changes import Actor
from oms.timeutil import to_utc
from oms.wiring import fulfilment_service

service, _ = fulfilment_service()


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    now = to_utc(event.time)
    completed = service.complete_due(now, Actor("order-completer", f"schedule:{event.id}", now))
    count("OrdersCompleted", len(completed))
    logger.info("completion run", extra={"completed": len(completed), "orders": completed[:100]})
    return {"completed": len(completed)}
