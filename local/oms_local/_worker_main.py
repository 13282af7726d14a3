"""A function's sandbox: one process per function instance, like a Lambda execution environment.

Started by oms_local.workers with the function's environment and nothing else (no PYTHONPATH):
its import path is the function's code directory and its layers, then the interpreter's own
site-packages. Requests and responses travel as length-prefixed JSON over two inherited pipes;
stdout and stderr are the function's log stream.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
import time
import traceback
from typing import Any


def _read(fd: int) -> Any:
    header = b""
    while len(header) < 4:
        chunk = os.read(fd, 4 - len(header))
        if not chunk:
            return None
        header += chunk
    (size,) = struct.unpack(">I", header)
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, min(1 << 20, size - len(data)))
        if not chunk:
            return None
        data += chunk
    return json.loads(data)


def _write(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message, default=str).encode()
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Context:
    def __init__(self, spec: dict[str, Any], request_id: str, deadline: float) -> None:
        self.function_name = spec["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["arn"]
        self.memory_limit_in_mb = spec["memory"]
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{spec['name']}"
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _keep_the_stacks_clock() -> None:
    """On a fast local clock (``--time-scale``), the function's clock is the schedules' (before the
    handler imports it): one clock for every timestamp an order gets."""
    spec = os.environ.get("OMS_LOCAL_CLOCK")
    if not spec:
        return
    try:
        import oms.timeutil as timeutil
    except ImportError:
        return  # a function without the shared layer (a template the runner has never seen)
    start_real, start_virtual, scale = (float(part) for part in spec.split(":"))

    from datetime import UTC, datetime

    def now() -> datetime:
        return datetime.fromtimestamp(start_virtual + (time.time() - start_real) * scale, UTC)

    timeutil.utcnow = now


def _reach_the_channel_emulator() -> None:
    """With ``OMS_LOCAL_CHANNELS`` set (oms_local.channel_emulator), every HTTPS call the function
    makes through ``urllib`` (the OMS's ``UrllibTransport``) goes to the emulator over HTTP, naming
    the host it meant: the stores' APIs answer locally, and nothing in the OMS knows."""
    emulator = os.environ.get("OMS_LOCAL_CHANNELS")
    if not emulator:
        return
    import urllib.request
    from urllib.parse import urlsplit

    original = urllib.request.urlopen

    def urlopen(request: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(request, urllib.request.Request) and request.full_url.startswith("https://"):
            parts = urlsplit(request.full_url)
            request.add_header("X-forwarded-host", parts.netloc)
            request.full_url = emulator + parts.path + (f"?{parts.query}" if parts.query else "")
        return original(request, *args, **kwargs)

    urllib.request.urlopen = urlopen  # type: ignore[assignment]


def main() -> None:
    # Ctrl-C reaches every process of the terminal's group: the runner stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = json.loads(sys.argv[1])
    requests, responses = int(sys.argv[2]), int(sys.argv[3])
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    sys.path[:0] = [spec["code_dir"], *spec["layer_dirs"]]
    module_name, function_name = spec["handler"].rsplit(".", 1)
    started = time.perf_counter()
    _keep_the_stacks_clock()
    _reach_the_channel_emulator()
    try:
        module = __import__(module_name, fromlist=[function_name])
        handler = getattr(module, function_name)
        init_error = None
    except Exception as exc:
        handler, init_error = None, exc
        traceback.print_exc()
    _write(
        responses,
        {
            "ready": True,
            "init_ms": (time.perf_counter() - started) * 1000,
            "init_error": repr(init_error) if init_error else None,
        },
    )
    while True:
        request = _read(requests)
        if request is None:
            return
        if handler is None:
            _write(
                responses,
                {
                    "id": request["id"],
                    "ok": False,
                    "errorType": "Runtime.ImportModuleError",
                    "errorMessage": repr(init_error),
                },
            )
            continue
        os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
        context = Context(spec, request["id"], request["deadline"])
        begun = time.perf_counter()
        try:
            value = handler(request["event"], context)
            reply = {"id": request["id"], "ok": True, "value": value}
        except Exception as exc:
            traceback.print_exc()
            reply = {
                "id": request["id"],
                "ok": False,
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
        reply["duration_ms"] = (time.perf_counter() - begun) * 1000
        sys.stdout.flush()
        sys.stderr.flush()
        _write(responses, reply)


if __name__ == "__main__":
    main()
