"""The HTTP API on a local port: routes from the template, payload format 2.0 events, the JWT
authorizer enforced, and each function's result turned back into an HTTP response."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from oms_local.hosted_ui import HostedUi
from oms_local.invoke import Invoker
from oms_local.issuer import LocalIssuer, Unauthorized
from oms_local.lambda_events import http_event, http_result
from oms_local.routes import Route, match

log = logging.getLogger("oms_local")
MAX_BODY = 10 * 1024 * 1024  # HTTP API payload limit
CORS_PREFLIGHT = [
    ("access-control-allow-methods", "GET,POST,PUT,PATCH,DELETE"),
    ("access-control-allow-headers", "authorization,content-type,idempotency-key,if-none-match"),
    ("access-control-max-age", "600"),
]


class _Server(ThreadingHTTPServer):
    """Every connection a client opens is accepted and queued, never reset (API Gateway's front
    door does not refuse a burst): a deep listen backlog, a thread per connection."""

    request_queue_size = 1024
    daemon_threads = True


class HttpApi:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: list[Route] = []
        self.invoker: Invoker | None = None
        self.issuer: LocalIssuer | None = None
        self.hosted_ui: HostedUi | None = None
        # Origins allowed to call the API from a browser (the admin app's), as the template's
        # CorsConfiguration allows them: preflights answered here, as API Gateway answers them.
        self.cors_origins: set[str] = set()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "oms-local"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                api.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

            def end_headers(self) -> None:
                origin = self.headers.get("origin")
                if origin and origin in api.cors_origins:
                    self.send_header("access-control-allow-origin", origin)
                    self.send_header("vary", "origin")
                    self.send_header("access-control-expose-headers", "etag")
                super().end_headers()

            def __getattr__(self, name: str) -> Any:
                # Any other method (TRACE, PROPFIND...) is routed too: API Gateway answers a
                # method without a route 404 {"message": "Not Found"}, not 501.
                if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
                    return self._any
                raise AttributeError(name)

        self.server = _Server((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="http-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, routes: list[Route], invoker: Invoker, issuer: LocalIssuer) -> None:
        self.routes, self.invoker, self.issuer = routes, invoker, issuer
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._send(
                request,
                413,
                [("content-type", "application/json")],
                json.dumps({"message": "Request Entity Too Large"}).encode(),
            )
            return
        body = request.rfile.read(length) if length else b""
        origin = request.headers.get("origin")
        if request.command == "OPTIONS" and origin in self.cors_origins:
            self._send(request, 204, CORS_PREFLIGHT, b"")
            return
        if self.hosted_ui is not None and parts.path in self.hosted_ui.PATHS:
            self._send(request, *self.hosted_ui.handle(request.command, parts.path, parts.query, body))
            return
        if parts.path == "/.well-known/jwks.json" and request.command == "GET" and self.issuer:
            self._send(
                request, 200, [("content-type", "application/json")], json.dumps(self.issuer.jwks()).encode()
            )
            return
        found = match(self.routes, request.command, parts.path)
        if found is None:
            self._send(request, 404, [("content-type", "application/json")], b'{"message":"Not Found"}')
            return
        route, params = found
        claims = None
        if route.authorizer is not None:
            assert self.issuer is not None
            try:
                header = request.headers.get(route.authorizer.identity_source.split(".")[-1])
                claims = self.issuer.verify(route.authorizer, header)
            except Unauthorized:
                self._send(
                    request,
                    401,
                    [
                        ("content-type", "application/json"),
                        ("www-authenticate", 'Bearer error="invalid_token"'),
                    ],
                    b'{"message":"Unauthorized"}',
                )
                return
        headers = list(request.headers.items())
        headers.append(("x-forwarded-proto", "http"))
        event = http_event(
            request.command,
            parts.path,
            route_key=route.route_key,
            headers=headers,
            body=body or None,
            raw_query=parts.query,
            path_parameters=params or None,
            jwt_claims=claims,
            jwt_scopes=None,
            domain=request.headers.get("host", "localhost"),
            source_ip=request.client_address[0],
        )
        assert self.invoker is not None
        result = self.invoker.invoke(route.function, event)
        if not result.ok:
            log.error("%s failed: %s", route.function, result.error)
            self._send(
                request, 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
            )
            return
        try:
            status, out_headers, out_body = http_result(result.value)
        except (TypeError, ValueError, KeyError) as exc:
            log.error("%s returned a malformed response: %s", route.function, exc)
            self._send(
                request, 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
            )
            return
        self._send(request, status, out_headers, out_body)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        request.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                request.send_header(name, value)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)
