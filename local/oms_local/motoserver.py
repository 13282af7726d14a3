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
        from oms_local import motofix

        motofix.install()
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
        """Stop serving and forget everything: moto's backends are per process, not per server."""
        from moto.moto_api._internal.models import moto_api_backend

        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        moto_api_backend.reset()


def trim_stream(stream_arn: str, through_sequence: str, lock: threading.Lock | None = None) -> None:
    """Drop stream records up to ``through_sequence`` once the (only) consumer has handled them.

    DynamoDB keeps stream records for 24 hours; moto keeps them for ever, inside the table object
    it deep-copies on every transaction item, so every write would get slower. The runner is the
    stream's only reader, so records it has checkpointed past can go.
    """
    from moto.dynamodb.models import dynamodb_backends

    table_name = stream_arn.split(":table/")[1].split("/stream/")[0]
    region, account = stream_arn.split(":")[3], stream_arn.split(":")[4]

    def trim() -> None:
        table = dynamodb_backends[account][region].tables.get(table_name)
        shard = getattr(table, "stream_shard", None) if table else None
        if shard is None:
            return
        keep_from = int(through_sequence) + 1 - shard.starting_sequence_number
        if keep_from > 0:
            del shard.items[:keep_from]
            shard.starting_sequence_number += keep_from

    if lock is None:
        trim()
    else:
        with lock:
            trim()
