"""moto in server mode, with each request atomic.

moto's ThreadedMotoServer handles requests on many threads against shared, unlocked backends.
That breaks the one guarantee race tests rely on: DynamoDB executes every request atomically
and in isolation. Worst of all, a TransactWriteItems that fails restores a copy of the table taken
when it began, silently undoing writes other clients made in the meantime. This server is
moto's own WSGI application behind a lock: clients still race (their requests interleave freely),
but each request runs alone, as it would in AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server


class _OneRequestAtATime:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the runner shows function logs, not every SDK call."""


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, _OneRequestAtATime(app), threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self.lock = self._server.app.lock  # type: ignore[attr-defined]

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
