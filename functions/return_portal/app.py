"""The customer's returns page (public, no login; oms.services.return_portal): GET /returns/start shows
the form, POST /returns/start (a form's fields or JSON) finds the order by its number and the email or
postcode and shows what may come back, or, with lines, starts the return; GET /returns/page/{token}
follows a return from its signed link. Answers HTML, or JSON to ``Accept: application/json``."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from oms.data.attempt_limiter import AttemptLimiter
from oms.data.order_search_index import OrderSearchIndex
from oms.data.page_link_key import PageLinks
from oms.errors import OmsError, PayloadTooLarge, ValidationFailed
from oms.identifiers import STORE_ID_PATTERN
from oms.observability import lambda_handler_of, logger
from oms.order_changes import Actor
from oms.public_page import HEADERS
from oms.return_page import (
    Typed,
    render_error,
    render_return,
    render_returnable,
    render_start,
    return_view,
    returnable_view,
)
from oms.returns import LineReturn
from oms.services.return_portal import ReturnPortal
from oms.settings import get_settings
from oms.timeutil import utcnow
from oms.wiring import return_desk

settings = get_settings()
desk = return_desk(settings, cache_seconds=60)
links = PageLinks(settings)
portal = ReturnPortal(desk, desk.orders, OrderSearchIndex(), desk.stores, AttemptLimiter(), links)
app = APIGatewayHttpResolver()
JSON, HTML = "application/json", "text/html; charset=utf-8"
MAX_BODY = 16_000


class LineAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    quantity: int = Field(ge=0, le=1000)
    reason: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class StartRequest(BaseModel):
    """What the customer sends: who they are (their order number, and email or postcode) and, to
    start the return, the lines."""

    model_config = ConfigDict(extra="forbid")

    order_number: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
    email: Annotated[str, StringConstraints(max_length=254, strip_whitespace=True)] | None = None
    postcode: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None
    store: Annotated[str, StringConstraints(pattern=STORE_ID_PATTERN)] | None = None
    lines: list[LineAsk] = Field(default_factory=list, max_length=200)

    @property
    def typed(self) -> Typed:
        return Typed(
            order_number=self.order_number,
            email=self.email or None,
            postcode=self.postcode or None,
            store=self.store,
        )


def _wants_json() -> bool:
    accept = (app.current_event.headers or {}).get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error(error: OmsError) -> Response[str]:
    headers = {**HEADERS, **({"Retry-After": "900"} if error.status == 429 else {})}
    if _wants_json():
        return Response(error.status, JSON, json.dumps(error.to_body()), headers=headers)
    return Response(error.status, HTML, render_error(error.message), headers=headers)


def _form_lines(form: dict[str, list[str]]) -> list[dict[str, Any]]:
    """A form's ``line_<i>``, ``qty_<i>`` and ``reason_<i>`` fields as lines (0 units: left out)."""
    lines = []
    for name, values in form.items():
        if name.startswith("line_") and name[5:].isdigit():
            i = name[5:]
            lines.append(
                {
                    "line_id": values[0],
                    "quantity": (form.get(f"qty_{i}") or ["0"])[0],
                    "reason": (form.get(f"reason_{i}") or [""])[0],
                }
            )
    return lines


def _request() -> StartRequest:
    event = app.current_event
    body = event.decoded_body or ""
    if len(body) > MAX_BODY:
        raise PayloadTooLarge("the request is too large", code="payload_too_large")
    media = (event.headers or {}).get("content-type", "").split(";")[0].strip().lower()
    try:
        if media == JSON:
            raw = json.loads(body or "{}")
            if not isinstance(raw, dict):
                raise ValueError("not an object")
        else:
            form = parse_qs(body, keep_blank_values=True)
            raw = {
                k: form[k][0] for k in ("order_number", "email", "postcode", "store") if form.get(k, [""])[0]
            }
            raw["lines"] = _form_lines(form)
        asked = StartRequest.model_validate(raw)
    except (ValueError, ValidationError) as error:
        fields = (
            [".".join(str(p) for p in e["loc"]) for e in error.errors()]
            if isinstance(error, ValidationError)
            else []
        )
        raise ValidationFailed(
            "check the order number, email address and postcode",
            code="validation_error",
            details=[{"field": f} for f in fields] or [{"field": "body"}],
        ) from None
    return asked


def _ip() -> str:
    return app.current_event.request_context.http.source_ip or "unknown"


@app.get("/returns/start")
def start_page() -> Response[str]:
    store = (app.current_event.query_string_parameters or {}).get("store")
    typed = Typed(store=store if store and len(store) <= 40 else None)
    if _wants_json():
        return Response(
            200, JSON, json.dumps({"fields": ["order_number", "email", "postcode"]}), headers=HEADERS
        )
    return Response(200, HTML, render_start(typed), headers=HEADERS)


@app.post("/returns/start")
def start() -> Response[str]:
    try:
        asked = _request()
        typed = asked.typed
        chosen = [x for x in asked.lines if x.quantity > 0]
        if asked.lines or chosen:
            actor = Actor(
                "customer", f"returns-page:{app.current_event.request_context.request_id}", utcnow()
            )
            asks = [LineReturn(line_id=x.line_id, quantity=x.quantity, reason=x.reason) for x in chosen]
            started = portal.start(typed, asks, _ip(), actor)
            store = started.store
            reasons = store.settings.returns.reasons if store else []
            view = return_view(store.name if store else "", started.ret, reasons, started.page_path)
            logger.info("customer return started", extra={"return_id": started.ret.return_id})
            if _wants_json():
                return Response(201, JSON, view.model_dump_json(), headers=HEADERS)
            # A form post: on to the return's page (a reload does not post again).
            return Response(303, HTML, "", headers={**HEADERS, "Location": started.page_path})
        found = portal.find(typed, _ip(), utcnow())
        ret = found.returnable
        reasons = ret.settings.returns.reasons
        shown = returnable_view(
            found.store.name if found.store else "",
            ret.order,
            (ret.lines, ret.final_sale, ret.window_closes),
            reasons,
        )
    except OmsError as error:
        return _error(error)
    if _wants_json():
        return Response(200, JSON, shown.model_dump_json(), headers=HEADERS)
    return Response(200, HTML, render_returnable(shown, typed), headers=HEADERS)


@app.get("/returns/page/<token>")
def return_page(token: str) -> Response[str]:
    try:
        store, ret, url = portal.page(token)
    except OmsError as error:
        return _error(error)
    view = return_view(store.name if store else "", ret, store.settings.returns.reasons if store else [], url)
    if _wants_json():
        return Response(200, JSON, view.model_dump_json(), headers=HEADERS)
    return Response(200, HTML, render_return(view), headers=HEADERS)


@app.not_found
def _no_route(_: Exception) -> Response[str]:
    return Response(404, JSON, json.dumps({"code": "route_not_found", "message": "no such route"}))


@lambda_handler_of
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
