"""POST /webhooks/{channel}/{store_id}: verify the signature, queue the order, answer 202.

Nothing else happens here: Shopify allows 5 seconds for the whole answer, so the heavy work
waits behind the intake queue.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.intake_queue import IntakeQueue
from oms.data.privacy_queue import PrivacyQueue
from oms.data.store_secrets import WebhookCredentials
from oms.errors import OmsError, ServiceUnavailable
from oms.observability import count, lambda_handler_of, logger
from oms.settings import get_settings
from oms.webhooks import WebhookRequest, receive

settings = get_settings()
credentials = WebhookCredentials(settings)
queue = IntakeQueue(settings, fast=True)
privacy = PrivacyQueue(settings, fast=True)  # Shopify's compliance webhooks


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = WebhookRequest.from_http_event(event)
    logger.append_keys(channel=request.channel, store_id=request.store_id)
    try:
        result = receive(
            request,
            credentials,
            queue,
            now=datetime.now(UTC),
            max_age_seconds=settings.webhook_max_age_seconds,
            privacy=privacy,
        )
    except ServiceUnavailable as error:
        # Queue or parameter store unavailable: a 503 makes the channel deliver again later.
        logger.warning("webhook could not be queued", extra={"reason": error.code})
        count("WebhooksFailed")
        return _response(503, {"code": "service_unavailable", "message": "try again later"})
    except OmsError as error:
        logger.warning("webhook rejected", extra={"reason": error.code, "status": error.status})
        count("WebhooksRejected", reason=error.code)
        return _response(error.status, error.to_body())
    count("WebhooksAccepted" if result.status == 202 else "WebhooksAnswered")
    # Every request is already in the API access log (status, latency): debug level is enough here.
    logger.debug("webhook answered", extra={"status": result.status, "outcome": result.body.get("status")})
    return _response(result.status, result.body)
