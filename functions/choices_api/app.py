"""The customer's choice page (public, no login): GET /choices/{token} shows what waits for stock
and the options, as HTML or JSON (Accept: application/json); POST /choices/{token} records the
choice (a form's ``choice=...`` or JSON ``{"choice": ...}``) and carries it out
(oms.services.choice_desk). A token that is not genuine gets the same 404 as one that is gone."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.choice_page import render, render_error, view
from oms.errors import OmsError, ValidationFailed
from oms.models import ChoiceOption
from oms.observability import lambda_handler_of, logger
from oms.public_page import HEADERS
from oms.services.choice_desk import ChoicePage
from oms.timeutil import utcnow
from oms.wiring import choice_desk

desk, _ = choice_desk()
app = APIGatewayHttpResolver()
JSON, HTML = "application/json", "text/html; charset=utf-8"


def _wants_json() -> bool:
    accept = (app.current_event.headers or {}).get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _answer(status: int, page: ChoicePage | None = None, error: OmsError | None = None) -> Response[str]:
    if error is not None:
        if _wants_json():
            return Response(status, JSON, json.dumps(error.to_body()), headers=HEADERS)
        return Response(status, HTML, render_error(error.message), headers=HEADERS)
    assert page is not None
    shown = view(page.order, page.store.name if page.store else "", page.offer, page.waiting)
    if _wants_json():
        return Response(status, JSON, shown.model_dump_json(), headers=HEADERS)
    return Response(status, HTML, render(shown), headers=HEADERS)


def _option() -> ChoiceOption:
    event = app.current_event
    body = event.decoded_body or ""
    media = (event.headers or {}).get("content-type", "").split(";")[0].strip().lower()
    try:
        raw = json.loads(body).get("choice") if media == JSON else parse_qs(body).get("choice", [None])[0]
        return ChoiceOption(str(raw)) if raw is not None else ChoiceOption("")
    except (ValueError, AttributeError, TypeError):
        options = ", ".join(o.value for o in ChoiceOption)
        raise ValidationFailed(
            f"choice must be one of {options}", code="validation_error", details=[{"field": "choice"}]
        ) from None


@app.get("/choices/<token>")
def show(token: str) -> Response[str]:
    try:
        return _answer(200, desk.page(token))
    except OmsError as error:
        return _answer(error.status, error=error)


@app.post("/choices/<token>")
def choose(token: str) -> Response[str]:
    try:
        page = desk.choose(token, _option(), utcnow())
    except OmsError as error:
        return _answer(error.status, error=error)
    logger.info(
        "customer choice recorded", extra={"order_id": page.order.order_id, "choice": page.offer.chosen}
    )
    if _wants_json():
        return _answer(200, page)
    # A form post: back to the page (a reload does not post again).
    return Response(303, HTML, "", headers={**HEADERS, "Location": app.current_event.raw_path})


@app.not_found
def _no_route(_: Exception) -> Response[str]:
    return Response(404, JSON, json.dumps({"code": "route_not_found", "message": "no such route"}))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
