"""The admin app's static files on a local port of their own (another origin than the API, as
CloudFront's is in AWS), with the headers CloudFront's response headers policy adds and its
compression, and the ``config.json`` the deployment writes next to them in AWS."""

from __future__ import annotations

import gzip
import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from oms_local.cloud import ROOT

APP = ROOT / "admin_app"
PUBLIC = APP / "public"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def security_headers(api_url: str, auth_url: str) -> list[tuple[str, str]]:
    """The same policy the template's CloudFront response headers policy sets (no inline script,
    connections only to the API and the sign-in endpoints, never framed)."""
    connect = " ".join(sorted({api_url, auth_url}))
    return [
        (
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"font-src 'self'; connect-src 'self' {connect}; manifest-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ]


class AppServer:
    def __init__(self, config: dict[str, Any], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "oms-local-app"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server.serve(self)

            do_HEAD = do_GET

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="admin-app", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        if path == "/config.json":
            body, kind = json.dumps(self.config).encode(), "application/json"
        else:
            file = (PUBLIC / path.lstrip("/")).resolve() if path != "/" else PUBLIC / "index.html"
            if not file.is_relative_to(PUBLIC.resolve()) or not file.is_file():
                file = PUBLIC / "index.html"  # the app's own routes (CloudFront: 404 -> index.html)
            body = file.read_bytes()
            kind = TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        headers = [("content-type", kind), ("cache-control", "no-cache")]
        headers += security_headers(self.config["apiUrl"], self.config["authUrl"])
        if "gzip" in (request.headers.get("accept-encoding") or "") and len(body) > 1024:
            body = gzip.compress(body, 6)
            headers.append(("content-encoding", "gzip"))
        request.send_response(200)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)
