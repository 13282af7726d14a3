"""The admin API's shared setup: one resolver factory with JSON errors that carry a stable code,
a human message and, for validation errors, the field at fault."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict

from oms.errors import ConcurrentModification, OmsError, StockShortage
from oms.observability import logger
from oms.staff_roles import may_call, role_of

JSON = "application/json"
HTML = "text/html; charset=utf-8"


class FieldError(BaseModel):
    """One thing wrong with the request: the field at fault (when there is one), in words, and
    what else identifies it (a line id, the states of a refused transition)."""

    model_config = ConfigDict(extra="allow")

    field: str | None = None
    message: str
    type: str | None = None


class ErrorBody(BaseModel):
    """Every error the API returns: a stable ``code``, a message for people, the fields at fault."""

    code: str
    message: str
    errors: list[FieldError] | None = None


class GatewayError(BaseModel):
    """What API Gateway itself answers (no route, no valid token)."""

    message: str


_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: queued for the intake",
    400: "Bad request",
    401: "No valid token (answered by API Gateway's JWT authorizer)",
    403: "The token's role may not call this route (forbidden), or its user has no role (no_role)",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "The body is not application/json",
    422: "Validation error: the fields at fault are listed (a body that is not JSON: field body)",
}


def responses(
    ok: int, *errors: int, model: type[BaseModel] | None = None, html: bool = False
) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses of a route: its success status with its body's model (and, for a
    printable document, text/html), and the errors it can answer."""
    success: OpenAPIResponse = {"description": _DESCRIPTIONS[ok]}
    if model is not None:
        content: dict[str, Any] = {JSON: {"model": model}}
        if html:
            content[HTML] = {"schema": {"type": "string", "description": "a printable page"}}
        success["content"] = content
    out: dict[int, OpenAPIResponse] = {ok: success}
    out[401] = {"description": _DESCRIPTIONS[401], "content": {JSON: {"model": GatewayError}}}
    for status in (403, 415, 422, *errors):
        out[status] = {"description": _DESCRIPTIONS[status], "content": {JSON: {"model": ErrorBody}}}
    return out


def model_response(status: int, body: BaseModel, *, exclude: set[str] | None = None) -> Response[str]:
    """A success body from its response model (oms.admin_responses)."""
    return Response(status_code=status, content_type=JSON, body=body.model_dump_json(exclude=exclude))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status, content_type=JSON, body=json.dumps(body, default=str), headers=headers
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        source, parts = parts[0], parts[1:]
        if source != "body" and parts:
            return f"{source}.{'.'.join(parts)}"
    return ".".join(parts) or "body"


UNSUPPORTED_MEDIA_TYPE = {"code": "unsupported_content_type", "message": "send the body as application/json"}


class JsonApiResolver(APIGatewayHttpResolver):
    """The admin API takes JSON bodies only: anything else is refused with 415 before Powertools
    tries to parse it as a form or a multipart upload (where a malformed header would be a 500)."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        media = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if event.get("body") and media and media != JSON and not media.endswith("+json"):
            return {
                "statusCode": 415,
                "headers": {"Content-Type": JSON},
                "body": json.dumps(UNSUPPORTED_MEDIA_TYPE),
                "isBase64Encoded": False,
            }
        refused = _refused_role(event)
        if refused is not None:
            return refused
        result: dict[str, Any] = super().resolve(event, context)
        if event.get("requestContext", {}).get("http", {}).get("method") == "GET":
            return _validated(result, headers.get("if-none-match"))
        return result


def _validated(result: dict[str, Any], if_none_match: str | None) -> dict[str, Any]:
    """A read answers with its body's ETag; asked again with that tag (a screen polling a list, its
    browser revalidating), 304 and no body: the read still runs, the unchanged answer is not sent.
    Each revalidation goes to the API (no-cache), so a tag never outlives a change."""
    if result.get("statusCode") != 200 or result.get("isBase64Encoded"):
        return result
    body = result.get("body") or ""
    tag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    headers = {**(result.get("headers") or {}), "ETag": tag, "Cache-Control": "private, no-cache"}
    offered = {t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")}
    if tag in offered:
        return {"statusCode": 304, "headers": headers, "body": "", "isBase64Encoded": False}
    return {**result, "headers": headers}


def _refused_role(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """403 for a route the token's role may not call (oms.staff_roles); None to go on. Routes
    without the JWT authorizer (none of the admin API's) carry no claims and are not checked."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims")
    if claims is None:
        return None
    role = role_of(claims)
    route = str(event.get("routeKey") or "")
    if may_call(role, route):
        return None
    words = f"the {role.value} role may not call {route}" if role else "this user has no role: ask for one"
    return {
        "statusCode": 403,
        "headers": {"Content-Type": JSON},
        "body": json.dumps({"code": "forbidden" if role else "no_role", "message": words}),
        "isBase64Encoded": False,
    }


# once(key, request fingerprint, run) -> the first answer for the key (oms.data.idempotency_store).
RequestOnce = Callable[[str, str, Callable[[], dict[str, Any]]], dict[str, Any]]


def replay_by_key(once: RequestOnce) -> Callable[..., Response[str]]:
    """A middleware: a POST with an ``Idempotency-Key`` header answers, for the same key, what its
    first sending answered (a client that timed out can send it again without doing it twice)."""

    def middleware(
        app: APIGatewayHttpResolver, next_middleware: Callable[..., Response[str]]
    ) -> Response[str]:
        event = app.current_event
        key = (event.headers or {}).get("idempotency-key")
        if event.http_method != "POST" or not key:
            return next_middleware(app)
        request = hashlib.sha256(f"{event.http_method} {event.path}\n{event.body or ''}".encode()).hexdigest()

        def first() -> dict[str, Any]:
            response = next_middleware(app)
            if response.status_code >= 400:  # a refusal is not kept: the same request may succeed later
                raise _Refused(response)
            return {
                "status": response.status_code,
                "content_type": response.content_type,
                "body": response.body,
            }

        try:
            answer = once(f"{event.path}:{key[:200]}", request, first)
        except _Refused as refused:
            return refused.response
        return Response(
            status_code=answer["status"], content_type=answer["content_type"], body=answer["body"]
        )

    return middleware


class _Refused(Exception):  # carries a refusal out of the idempotent run (it is not kept)
    def __init__(self, response: Response[str]) -> None:
        self.response = response


def create_app(once: RequestOnce | None = None) -> APIGatewayHttpResolver:
    app = JsonApiResolver(enable_validation=True)
    if once is not None:
        app.use(middlewares=[replay_by_key(once)])

    @app.exception_handler(OmsError)  # type: ignore[untyped-decorator]
    def _oms_error(error: OmsError) -> Response[str]:
        if error.status >= 500:
            logger.error("request failed", extra={"code": error.code})
        return json_response(error.status, error.to_body())

    @app.exception_handler(ConcurrentModification)  # type: ignore[untyped-decorator]
    def _raced(_: ConcurrentModification) -> Response[str]:
        # Another writer kept winning the same order or shipment: nothing of this request happened.
        return json_response(
            409, {"code": "concurrent_update", "message": "it changed while this request ran; try again"}
        )

    @app.exception_handler(StockShortage)  # type: ignore[untyped-decorator]
    def _short(error: StockShortage) -> Response[str]:
        short = ", ".join(
            f"{s.sku or s.name}: needs {s.requested}, has {s.available or 0}" for s in error.short
        )
        return json_response(409, {"code": "out_of_stock", "message": f"short of stock: {short}"})

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(error: RequestValidationError) -> Response[str]:
        details = [
            {
                "field": _field(err.get("loc", ())),
                "message": err.get("msg", "invalid"),
                "type": err.get("type"),
            }
            for err in error.errors()
        ]
        first = details[0] if details else {"field": "body", "message": "invalid"}
        return json_response(
            422,
            {
                "code": "validation_error",
                "message": f"{first['field']}: {first['message']}",
                "errors": details,
            },
        )

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _unsupported(_: Exception) -> Response[str]:
        return json_response(415, UNSUPPORTED_MEDIA_TYPE)

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def _not_text(_: Exception) -> Response[str]:
        # A body that is not UTF-8 (API Gateway passes it base64-encoded) cannot be JSON: the same
        # answer as any other body that is not JSON.
        message = "body: the body is not UTF-8 JSON"
        return json_response(
            422,
            {
                "code": "validation_error",
                "message": message,
                "errors": [{"field": "body", "message": message, "type": "json_invalid"}],
            },
        )

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        return json_response(404, {"code": "route_not_found", "message": "no such route"})

    return app


def staff_actor(app: APIGatewayHttpResolver) -> str:
    """Who made the request, for timelines: the JWT subject (never an email address)."""
    claims: dict[str, Any] = {}
    try:
        claims = app.current_event.request_context.authorizer.jwt_claim or {}
    except (AttributeError, KeyError, TypeError):
        claims = {}
    return f"staff:{claims.get('sub') or claims.get('client_id') or 'unknown'}"


def base_url(app: APIGatewayHttpResolver) -> str:
    headers = app.current_event.headers or {}
    proto = headers.get("x-forwarded-proto", "https")
    host = headers.get("host") or app.current_event.request_context.domain_name
    return f"{proto}://{host}"
