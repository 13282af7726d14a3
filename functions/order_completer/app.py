"""Order completer (daily EventBridge schedule): delivered orders whose return window (store
setting, days) has passed become completed (OrderCompleted)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.observability import count, lambda_handler_of, logger
from oms.order_changes import Actor
from oms.timeutil import to_utc
from oms.wiring import fulfilment_services

service = fulfilment_services().completion


@lambda_handler_of
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    now = to_utc(event.time)
    completed = service.complete_due(now, Actor("order-completer", f"schedule:{event.id}", now))
    count("OrdersCompleted", len(completed))
    (logger.info if completed else logger.debug)(
        "completion run", extra={"completed": len(completed), "orders": completed[:100]}
    )
    return {"completed": len(completed)}
