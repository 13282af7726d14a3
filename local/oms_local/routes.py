"""HTTP API routes as the SAM translator wrote them: the API's OpenAPI body (paths, Lambda
proxy integrations, JWT authorizers), resolved to local functions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oms_local.sources import logical_function
from oms_local.template import Stack


@dataclass(frozen=True)
class Authorizer:
    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_source: str


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # /orders/{order_id}
    function: str  # logical id
    authorizer: Authorizer | None
    pattern: re.Pattern[str] = field(compare=False)

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def _pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            regex += f"(?P<{name.rstrip('+')}>.+)" if name.endswith("+") else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}$")


def http_routes(stack: Stack) -> tuple[list[Route], list[str]]:
    """Routes of every HTTP API in the stack, and the APIs' logical ids."""
    routes: list[Route] = []
    apis: list[str] = []
    for lid, resource in stack.of_type("AWS::ApiGatewayV2::Api").items():
        apis.append(lid)
        body: dict[str, Any] = stack.resolve(resource["Properties"].get("Body") or {})
        schemes = (body.get("components") or {}).get("securitySchemes") or {}
        authorizers: dict[str, Authorizer] = {}
        for name, scheme in schemes.items():
            config = scheme.get("x-amazon-apigateway-authorizer") or {}
            if config.get("type") == "jwt":
                jwt = config.get("jwtConfiguration") or {}
                audience = jwt.get("audience") or []
                authorizers[name] = Authorizer(
                    name=name,
                    issuer=str(jwt.get("issuer", "")),
                    audience=tuple(str(a) for a in (audience if isinstance(audience, list) else [audience])),
                    identity_source=str(config.get("identitySource", "$request.header.Authorization")),
                )
        for path, operations in (body.get("paths") or {}).items():
            for method, operation in operations.items():
                integration = operation.get("x-amazon-apigateway-integration") or {}
                uri = str(integration.get("uri", ""))
                if ":function:" not in uri and "/functions/" not in uri:
                    continue
                function_arn = uri.split("/functions/")[-1].split("/invocations")[0]
                security = operation.get("security") or []
                auth = next((authorizers[k] for item in security for k in item if k in authorizers), None)
                routes.append(
                    Route(
                        method="ANY" if method == "x-amazon-apigateway-any-method" else method.upper(),
                        path=path,
                        function=logical_function(stack, function_arn),
                        authorizer=auth,
                        pattern=_pattern(path),
                    )
                )
    # API Gateway prefers the most specific route: literal segments before variables.
    routes.sort(key=lambda r: (r.path.count("{"), -len(r.path)))
    return routes, apis


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    candidates = []
    for route in routes:
        found = route.pattern.match(path)
        if found and route.method in (method.upper(), "ANY"):
            candidates.append((route, found.groupdict()))
    return candidates[0] if candidates else None
