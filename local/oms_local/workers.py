"""Function instances as separate processes (Lambda's isolation): each has its own interpreter,
modules, environment and module-scope clients; a pool per function grows up to its concurrency."""

from __future__ import annotations

import contextlib
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from oms_local.functions import FunctionSpec
from oms_local.invoke import InvokeResult

WORKER_MAIN = Path(__file__).with_name("_worker_main.py")
LogSink = Callable[[str, str], None]


class WorkerError(Exception):
    pass


def _read_message(fd: int, timeout: float) -> dict[str, Any] | None:
    """One length-prefixed JSON message, or None when ``timeout`` passes first."""
    ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
    if not ready:
        return None
    header = b""
    while len(header) < 4:
        chunk = os.read(fd, 4 - len(header))
        if not chunk:
            raise WorkerError("the function's process exited")
        header += chunk
    (size,) = struct.unpack(">I", header)
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, min(1 << 20, size - len(data)))
        if not chunk:
            raise WorkerError("the function's process exited mid-reply")
        data += chunk
    message: dict[str, Any] = json.loads(data)
    return message


def _write_message(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


class Worker:
    """One execution environment of one function."""

    def __init__(
        self, spec: FunctionSpec, env: dict[str, str], python: str, log: LogSink, label: str
    ) -> None:
        self.spec = spec
        self.label = label
        req_read, self.req_write = os.pipe()
        self.resp_read, resp_write = os.pipe()
        payload = json.dumps(
            {
                "name": spec.name,
                "arn": spec.arn,
                "memory": spec.memory,
                "handler": spec.handler,
                "code_dir": str(spec.code_dir),
                "layer_dirs": [str(p) for p in spec.layer_dirs],
            }
        )
        self.process = subprocess.Popen(
            [python, "-X", "utf8", str(WORKER_MAIN), payload, str(req_read), str(resp_write)],
            env=env,
            cwd=str(spec.code_dir),
            pass_fds=(req_read, resp_write),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        os.close(req_read)
        os.close(resp_write)
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._pump, args=(stream, log), daemon=True).start()
        ready = _read_message(self.resp_read, 60)
        if ready is None:
            self.kill()
            raise WorkerError(f"{spec.logical_id} did not start within 60 s")
        self.init_ms = float(ready.get("init_ms", 0.0))
        self.init_error = ready.get("init_error")

    def _pump(self, stream: IO[bytes] | None, log: LogSink) -> None:
        assert stream is not None
        for raw in iter(stream.readline, b""):
            log(self.label, raw.decode("utf-8", "replace").rstrip("\n"))

    def invoke(self, event: dict[str, Any], timeout: float) -> InvokeResult:
        request_id = str(uuid.uuid4())
        deadline = time.time() + timeout
        trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        _write_message(
            self.req_write, {"id": request_id, "event": event, "deadline": deadline, "trace_id": trace}
        )
        reply = _read_message(self.resp_read, timeout + 0.5)
        if reply is None:
            self.kill()
            return InvokeResult(
                False, error=f"Task timed out after {timeout:.2f} seconds", duration_ms=timeout * 1000
            )
        if reply.get("ok"):
            return InvokeResult(True, reply.get("value"), duration_ms=reply.get("duration_ms", 0.0))
        return InvokeResult(
            False,
            error=f"{reply.get('errorType')}: {reply.get('errorMessage')}",
            duration_ms=reply.get("duration_ms", 0.0),
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        for fd in (self.req_write, self.resp_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


class FunctionPool:
    def __init__(
        self, spec: FunctionSpec, env: dict[str, str], python: str, log: LogSink, limit: int
    ) -> None:
        self.spec, self.env, self.python, self.log, self.limit = spec, env, python, log, limit
        self.idle: list[Worker] = []
        self.count = 0
        self.cold_starts = 0
        self.condition = threading.Condition()

    def acquire(self) -> Worker:
        with self.condition:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive:
                        return worker
                    self.count -= 1
                if self.count < self.limit:
                    self.count += 1
                    break
                self.condition.wait()
        try:
            n = self.cold_starts = self.cold_starts + 1
            label = self.spec.logical_id.removesuffix("Function") + (f"#{n}" if n > 1 else "")
            return Worker(self.spec, self.env, self.python, self.log, label)
        except Exception:
            with self.condition:
                self.count -= 1
                self.condition.notify()
            raise

    def release(self, worker: Worker, *, healthy: bool) -> None:
        with self.condition:
            if healthy and worker.alive:
                self.idle.append(worker)
            else:
                self.count -= 1
                worker.kill()
            self.condition.notify()

    def close(self) -> None:
        with self.condition:
            for worker in self.idle:
                worker.kill()
            self.idle.clear()


class WorkerInvoker:
    """The runner's invoker: every function in processes of its own, with the template's environment."""

    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        *,
        endpoint_url: str,
        log: LogSink,
        python: str | None = None,
        concurrency: dict[str, int] | None = None,
        default_concurrency: int = 4,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.specs = specs
        self.python = python or sys.executable
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **(extra_env or {}),
        }
        self.pools = {
            lid: FunctionPool(
                spec,
                {
                    **base,
                    **spec.lambda_environment(endpoint_url),
                    "_HANDLER": spec.handler,
                    "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                    "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{lid}",
                },
                self.python,
                log,
                (concurrency or {}).get(lid, default_concurrency),
            )
            for lid, spec in specs.items()
        }

    def invoke(self, logical_id: str, event: dict[str, Any]) -> InvokeResult:
        pool = self.pools[logical_id]
        worker = pool.acquire()
        healthy = False
        try:
            result = worker.invoke(event, float(pool.spec.timeout))
            healthy = worker.alive
            return result
        except (WorkerError, OSError) as exc:
            return InvokeResult(False, error=f"Runtime.ExitError: {exc}")
        finally:
            pool.release(worker, healthy=healthy)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
