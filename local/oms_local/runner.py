"""`make run`: the whole OMS on this machine, from template.yaml, on moto (no AWS, no Docker)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from oms_local import channel_emulator, scheduler
from oms_local.channel_emulator import ChannelEmulator
from oms_local.cloud import ROOT, LocalCloud
from oms_local.issuer import LocalIssuer
from oms_local.logs import LogPrinter
from oms_local.motoserver import MotoServer, trim_stream
from oms_local.routes import Authorizer, http_routes
from oms_local.sources import RuleTarget, SqsSource, StreamSource, trim_when_all_read
from oms_local.workers import WorkerInvoker

log = logging.getLogger("oms_local")
# Where `make run` tells `make demo` (and people) its URL and token; OMS_LOCAL_FACTS moves it.
FACTS = Path(os.environ.get("OMS_LOCAL_FACTS") or ROOT / ".oms-local.json")
# Template parameters for the local stack: addresses so that emails and alerts are sent (to moto),
# and hourly tracking checks, which on the default x3600 clock is one poller run a second.
LOCAL_PARAMETERS = {
    "Stage": "dev",
    "SenderEmail": "orders@demo-shop.example",
    "AlertEmail": "ops@demo-shop.example",
    "TrackingPollRate": "rate(1 hour)",
}
DEFAULT_TIME_SCALE = 3600.0


def lambda_python() -> str:
    """The interpreter functions run on: the Lambda-like environment when it exists."""
    candidate = ROOT / ".venv-lambda" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


@dataclass
class Running:
    moto: MotoServer
    cloud: LocalCloud
    api_url: str
    issuer: LocalIssuer
    authorizer: Authorizer | None
    invoker: WorkerInvoker
    http: Any
    stop: threading.Event
    threads: list[threading.Thread] = field(default_factory=list)
    admin_token: str = ""
    clock: scheduler.Clock | None = None
    channels: ChannelEmulator = field(default_factory=ChannelEmulator)  # the stores' APIs, emulated
    app: Any = None  # the admin app's static files (oms_local.app_server), on a port of their own
    users: dict[str, Any] = field(default_factory=dict)  # the demo sign-ins (oms_local.hosted_ui)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        """Call the local HTTP API (admin routes get the dev token unless ``token`` says otherwise)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method)
        req.add_header("content-type", "application/json")
        if token is None:
            token = self.admin_token
        if token:
            req.add_header("authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                payload = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            payload, status = error.read(), error.code
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload.decode(errors="replace")

    def client(self, service: str) -> Any:
        """A boto3 client for this stack's moto (tests and benchmarks look behind the API)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.moto.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto accepts any
        )

    def close(self) -> None:
        self.stop.set()
        # One deadline for every poller (they are daemon threads): a stack of many functions stops
        # in seconds even when some are in the middle of an invocation.
        deadline = time.monotonic() + 5
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.http.stop()
        if self.app is not None:
            self.app.stop()
        self.invoker.close()
        self.channels.stop()
        self.moto.stop()


def _loop(name: str, body: Callable[[], int], stop: threading.Event, idle: float) -> threading.Thread:
    def run() -> None:
        while not stop.is_set():
            try:
                handled = body()
            except Exception:
                if stop.is_set():
                    return
                log.exception("%s: poller error", name)
                handled = 0
                stop.wait(1.0)
            if not handled:
                stop.wait(idle)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def start(
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    time_scale: float = 1.0,
    printer: Callable[[str, str], None] | None = None,
    seed_demo: bool = True,
    template: Path | None = None,
    python: str | None = None,
    concurrency: int = 4,
    parameters: dict[str, str] | None = None,
    paused: tuple[str, ...] = (),
) -> Running:
    """Start the stack. ``paused`` functions get no deliveries from their queues and rules (as
    if their event source mappings were disabled): a benchmark of intake leaves fulfilment out."""
    from oms_local.httpapi import HttpApi

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s runner: %(message)s", datefmt="%H:%M:%S"
    )
    moto = MotoServer(host).start()
    http = HttpApi(host, port)
    clock = scheduler.Clock(time_scale)
    channels = ChannelEmulator().start()
    function_env = {channel_emulator.ENV: channels.url, **(clock.env() if time_scale != 1 else {})}
    api_url = http.url
    emit = printer or LogPrinter()
    cloud = LocalCloud(
        template.parent if template else ROOT,
        template=template,
        endpoint_url=moto.endpoint,
        api_endpoint=api_url,
        invoker=lambda specs: WorkerInvoker(
            specs,
            endpoint_url=moto.endpoint,
            log=emit,
            python=python or lambda_python(),
            default_concurrency=concurrency,
            extra_env=function_env,
        ),
        time_scale=time_scale,
        # The repository's template gets the local parameters, overridden by ``parameters``.
        parameters={**LOCAL_PARAMETERS, **(parameters or {})} if template is None else parameters,
    )
    cloud.pause(*paused)
    invoker = cloud.invoker
    assert isinstance(invoker, WorkerInvoker)
    if isinstance(emit, LogPrinter):
        emit.align([f"{lid.removesuffix('Function')}#2" for lid in cloud.specs])
    routes, _ = http_routes(cloud.stack)
    issuer = LocalIssuer()
    authorizer = next((r.authorizer for r in routes if r.authorizer), None)
    http.start(routes, invoker, issuer)
    stop = threading.Event()
    running = Running(moto, cloud, api_url, issuer, authorizer, invoker, http, stop, channels=channels)
    running.admin_token = issuer.token(authorizer) if authorizer else ""
    if authorizer is not None:
        _admin_app(running, http, issuer, authorizer, host)
    # Short polls only: moto serves a long poll by waiting inside the request, which would hold the
    # server's one-request-at-a-time lock.
    trim_when_all_read(list(cloud.mappings), lambda arn, seq: trim_stream(arn, seq, moto.lock))
    for source in cloud.sources:
        if isinstance(source, SqsSource):
            for n in range(2):
                running.threads.append(_loop(f"{source.name}-{n}", source.poll_once, stop, 0.2))
        elif isinstance(source, (StreamSource, RuleTarget)):
            running.threads.append(_loop(source.name, source.poll_once, stop, 0.2))
    running.clock = clock
    jobs = [scheduler.Job(s.name, s.expression, partial(_fire, invoker, s, stop)) for s in cloud.schedules]
    sched = threading.Thread(target=scheduler.run, args=(jobs, clock, stop), name="scheduler", daemon=True)
    sched.start()
    running.threads.append(sched)
    if seed_demo:
        from oms_local.seed import seed

        seed(lambda method, path, body: running.request(method, path, body))
    return running


def _admin_app(running: Running, http: Any, issuer: LocalIssuer, authorizer: Authorizer, host: str) -> None:
    """The admin app on its own origin, signing in through the local hosted UI as two demo users
    (a password of their own each run), and allowed by the API's CORS."""
    from oms_local.app_server import AppServer
    from oms_local.hosted_ui import HostedUi, User

    users = {
        u.email: u
        for u in (
            User("staff@demo.local", secrets.token_urlsafe(9), ("staff",)),
            User("warehouse@demo.local", secrets.token_urlsafe(9), ("warehouse",)),
        )
    }
    ui = HostedUi(issuer, authorizer, users)
    app = AppServer(
        {
            "apiUrl": running.api_url,
            "authUrl": running.api_url,  # Cognito's domain in AWS; the local hosted UI here
            "clientId": ui.client_id,
        },
        host=host,
    )
    ui.callbacks = [f"{app.url}/"]
    http.hosted_ui = ui
    http.cors_origins = {app.url}
    app.start()
    running.app, running.users = app, users


def _fire(invoker: WorkerInvoker, schedule: Any, stop: threading.Event, at: Any) -> None:
    result = invoker.invoke(schedule.function, schedule.event(at))
    if not result.ok and not stop.is_set():  # a firing cut short by Ctrl-C is not an error
        log.error("schedule %s: %s failed: %s", schedule.name, schedule.function, result.error)


def facts(running: Running) -> dict[str, Any]:
    from oms_local.seed import STORES

    return {
        "api_url": running.api_url,
        "moto_endpoint": running.moto.endpoint,
        "channels_url": running.channels.url,  # the stores' emulated APIs (oms_local.channel_emulator)
        "admin_token": running.admin_token,
        "app_url": running.app.url if running.app else None,
        "sign_in": {email: user.password for email, user in running.users.items()},
        "stores": [
            {
                "store_id": s["store_id"],
                "channel": s["channel"],
                "webhook_secret": s["webhook_secret"],
                "webhook_url": f"{running.api_url}/webhooks/{s['channel']}/{s['store_id']}",
            }
            for s in STORES
        ],
        "table": running.cloud.stack.refs.get("OmsTable"),
        "event_bus": running.cloud.stack.refs.get("OmsBus"),
    }


def banner(running: Running, data: dict[str, Any], sample: Path) -> str:
    from oms.webhooks import sign

    shop = next(s for s in data["stores"] if s["channel"] == "shopify")
    signature = sign(shop["webhook_secret"], sample.read_bytes())
    unsupported = running.cloud.provisioned.unsupported
    lines = [
        "",
        "OMS is running on this machine: template.yaml on moto, no AWS account, no Docker.",
        "",
        f"  API              {data['api_url']}",
        f"  Admin token      {data['admin_token'][:24]}...  (full token in {_display(FACTS)})",
    ]
    if data.get("app_url"):
        lines.append(f"  Admin app        {data['app_url']}/")
        for email, password in data["sign_in"].items():
            lines.append(f"  {'':<16} sign in as {email} / {password}")
    for store in data["stores"]:
        lines.append(f"  {store['channel']:<16} {store['webhook_url']}")
        lines.append(f"  {'':<16} secret: {store['webhook_secret']}")
    lines += [
        "",
        "Send a signed Shopify order (the real fixture): demo-shopify auto-fulfils, so within a minute",
        "it is confirmed, shipped, tracked to delivered and completed (GET it again to follow it):",
        "",
        f"  curl -s -X POST {shop['webhook_url']} -H 'content-type: application/json' "
        f"-H 'x-shopify-topic: orders/create' -H 'x-shopify-shop-domain: demo-shop.myshopify.com' "
        f"-H 'x-shopify-hmac-sha256: {signature}' --data-binary @{_display(sample)}",
        "",
        f"  TOKEN=$(python3 -c \"import json;print(json.load(open('{_display(FACTS)}'))['admin_token'])\")",
        f'  curl -s -H "authorization: Bearer $TOKEN" {data["api_url"]}/orders/demo-shopify.450789469',
        "",
        f"Functions: {len(running.cloud.specs)}  queues/streams/rules: {len(running.cloud.sources)}  "
        f"schedules: {len(running.cloud.schedules)}  "
        f"time scale: x{running.clock.scale if running.clock else 1:g} (schedules and retries run faster)",
    ]
    if unsupported:
        lines.append(
            "Not run locally (unsupported resource types): "
            + ", ".join(f"{lid} ({rtype})" for lid, rtype in sorted(unsupported.items()))
        )
    lines += [
        "",
        "make demo (in another terminal) sends more orders and narrates them. Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def _display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def write_sample(path: Path) -> None:
    from oms_local.samples import fixture, shopify_body

    payload = fixture("shopify/orders-create.json")
    payload["financial_status"] = "paid"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(shopify_body(payload))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("OMS_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("OMS_PORT", "3000")),
        help="HTTP API port (0 picks a free one)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("OMS_TIME_SCALE", str(DEFAULT_TIME_SCALE))),
        help="how much faster schedules and queue visibility timeouts run (default 3600: an hour "
        "of schedules a second, so a parcel is delivered and its order completed within a minute)",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter, e.g. --parameter TrackingStalledDays=2 (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print function logs as raw JSON lines")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print every log line (debug, idle schedule runs, zero metrics)",
    )
    parser.add_argument("--no-seed", action="store_true", help="start without the demo stores and stock")
    args = parser.parse_args(argv)
    overrides: dict[str, str] = {}
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--parameter wants NAME=VALUE, got {item!r}")
        overrides[name] = value

    printer = LogPrinter(raw=args.json, verbose=args.verbose)
    running = start(
        parameters=overrides,
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        printer=printer,
        seed_demo=not args.no_seed,
    )
    data = facts(running)
    FACTS.write_text(json.dumps(data, indent=2) + "\n")
    sample = ROOT / ".oms-local" / "shopify-order.json"
    write_sample(sample)
    print(banner(running, data, sample), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    print("\nstopping: schedules, pollers, HTTP API, functions, moto...", flush=True)
    logging.getLogger().setLevel(logging.CRITICAL)  # what stopping interrupts is not news
    printer.mute()
    running.close()
    print("stopped.", flush=True)
    with contextlib.suppress(FileNotFoundError):
        FACTS.unlink()
    return 0


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
