"""Admin API for outbound webhooks (oms.outbound_webhooks): POST /subscriptions (its signing secret
shown once), GET /subscriptions, GET|DELETE /subscriptions/{id} (with its delivery health), and
POST /subscriptions/{id}/replay (the archive's events of a window sent to it again)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.admin_api import create_app, json_response, model_response, responses, staff_actor
from oms.admin_requests import ReplayRequest, SubscriptionRequest
from oms.admin_responses import ReplayView, SubscriptionPage, SubscriptionView
from oms.api_params import Cursor, Limit100
from oms.data.event_replays import EventReplays
from oms.data.subscription_repository import SubscriptionRepository
from oms.observability import lambda_handler_of, logger
from oms.services.outbound_service import new_subscription, start_replay
from oms.timeutil import utcnow

app = create_app()
subscriptions = SubscriptionRepository()
replays = EventReplays()
SubscriptionId = Annotated[str, Path(pattern=r"^sub_[a-f0-9]{20}$")]
# The same key again is refused (409): the first answer held the secret, which is never shown twice.
KeyHeader = Annotated[str | None, Header(alias="idempotency-key", pattern=r"^[A-Za-z0-9_.:-]{1,80}$")]


@app.post(
    "/subscriptions",
    summary="Subscribe a system to the OMS's events (the signing secret is in this answer only)",
    tags=["webhooks"],
    responses=responses(201, 400, 409, model=SubscriptionView),
)
def subscribe(body: SubscriptionRequest, idempotency_key: KeyHeader = None) -> Any:
    subscription, secret = new_subscription(
        body.url, body.events, body.description, actor=staff_actor(app), now=utcnow(), key=idempotency_key
    )
    subscriptions.create(subscription, secret)
    logger.info("subscribed", extra={"subscription_id": subscription.subscription_id, "events": body.events})
    return model_response(201, SubscriptionView(**dict(subscription), secret=secret))


@app.get(
    "/subscriptions",
    summary="The subscriptions, with their delivery health",
    tags=["webhooks"],
    responses=responses(200, 400, model=SubscriptionPage),
)
def list_subscriptions(limit: Limit100 = 50, cursor: Cursor = None) -> Any:
    page = subscriptions.list(limit=limit, cursor=cursor)
    return json_response(200, {"subscriptions": page.items, "cursor": page.cursor})


@app.get(
    "/subscriptions/<subscription_id>",
    summary="One subscription and its delivery health (last status, failures)",
    tags=["webhooks"],
    responses=responses(200, 404, model=SubscriptionView),
)
def get_subscription(subscription_id: SubscriptionId) -> Any:
    return model_response(
        200, SubscriptionView(**dict(subscriptions.get(subscription_id))), exclude={"secret"}
    )


@app.delete(
    "/subscriptions/<subscription_id>",
    summary="Unsubscribe (deliveries under way are dropped)",
    tags=["webhooks"],
    responses=responses(200, 404, model=SubscriptionView),
)
def unsubscribe(subscription_id: SubscriptionId) -> Any:
    gone = subscriptions.get(subscription_id)
    subscriptions.delete(subscription_id)
    logger.info("unsubscribed", extra={"subscription_id": subscription_id})
    return model_response(200, SubscriptionView(**dict(gone)), exclude={"secret"})


@app.post(
    "/subscriptions/<subscription_id>/replay",
    summary="Send a subscription the archived events of a window again",
    tags=["webhooks"],
    responses=responses(202, 400, 404, 409, model=ReplayView),
)
def replay(subscription_id: SubscriptionId, body: ReplayRequest) -> Any:
    window = start_replay(subscriptions, replays, subscription_id, body.since, body.until, utcnow())
    logger.info("replay started", extra={"subscription_id": subscription_id, "replay": window.name})
    return model_response(
        202, ReplayView(**window.model_dump(include={"subscription_id", "since", "until"}), status="started")
    )


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
