"""A stand-in for CloudFormation's presigned response URL: a local HTTP server that keeps every
custom resource reply PUT to it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Replies:
    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        replies = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_PUT(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                replies.received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cloudformation-reply"

    def __enter__(self) -> Replies:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
