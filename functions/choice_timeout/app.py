"""Choice timeout (EventBridge schedule): the store's default choice for every order whose customer
has not chosen in time (oms.services.choice_desk)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.observability import count, lambda_handler_of, logger
from oms.timeutil import to_utc
from oms.wiring import choice_desk

desk, orders = choice_desk()


@lambda_handler_of
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    expired = desk.expire(orders, to_utc(event.time))
    count("DefaultChoicesApplied", len(expired.applied))
    (logger.info if expired.applied or expired.failed else logger.debug)(
        "choice timeouts run", extra={"applied": expired.applied[:50], "failed": expired.failed}
    )
    return {"applied": len(expired.applied), "failed": expired.failed}
