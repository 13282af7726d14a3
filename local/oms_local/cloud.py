"""A whole OMS stack on moto: the template's resources provisioned, its functions invocable, its
event sources ready to poll. Tests drive it synchronously; the runner drives it with threads."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from oms_local.functions import FunctionSpec, function_specs
from oms_local.invoke import InProcessInvoker, Invoker
from oms_local.provision import Provisioned, Provisioner
from oms_local.sources import (
    RuleTarget,
    Schedule,
    SqsSource,
    StreamSource,
    event_source_mappings,
    logical_function,
    schedules,
    trim_when_all_read,
)
from oms_local.template import Stack, load

log = logging.getLogger("oms_local")
ROOT = Path(__file__).resolve().parents[2]
SERVICES = (
    "sqs",
    "dynamodb",
    "dynamodbstreams",
    "events",
    "ses",
    "sns",
    "ssm",
    "cloudwatch",
    "logs",
    "cognito-idp",
    "s3",
)


class LocalCloud:
    def __init__(
        self,
        root: Path = ROOT,
        *,
        template: Path | None = None,
        endpoint_url: str | None = None,
        parameters: dict[str, str] | None = None,
        api_endpoint: str = "http://127.0.0.1",
        invoker: Callable[[dict[str, FunctionSpec]], Invoker] | None = None,
        fast_retry: bool = False,
        name: str = "oms-local",
        time_scale: float = 1.0,
    ) -> None:
        self.root = root
        self.endpoint_url = endpoint_url
        self.stack: Stack = load(template or root / "template.yaml", parameters, name=name)
        self.taps: list[RuleTarget] = []
        self.paused: set[str] = set()
        self._provisioner = Provisioner(
            self.stack,
            endpoint_url=endpoint_url,
            api_endpoint=api_endpoint,
            rule_target=self._tap,
            time_scale=time_scale,
        )
        self.clients: dict[str, Any] = {s: self._provisioner.client(s) for s in SERVICES}
        self.provisioned: Provisioned = self._provisioner.provision()
        self.specs = function_specs(self.stack)
        self.invoker: Invoker = (
            invoker(self.specs) if invoker else InProcessInvoker(self.specs, endpoint_url=endpoint_url)
        )
        for tap in self.taps:
            tap.invoker = self.invoker
        self.mappings: list[SqsSource | StreamSource] = event_source_mappings(
            self.stack, self.invoker, self.clients, fast_retry=fast_retry, time_scale=time_scale
        )
        self.schedules: list[Schedule] = schedules(self.stack)
        if endpoint_url is None:  # in-process moto: same retention as the runner's (see trim_stream)
            from oms_local.motoserver import trim_stream

            trim_when_all_read(list(self.mappings), trim_stream)

    @property
    def sources(self) -> list[SqsSource | StreamSource | RuleTarget]:
        """What delivers events to functions, less those of paused functions."""
        return [s for s in (*self.mappings, *self.taps) if s.function not in self.paused]

    def pause(self, *functions: str) -> None:
        """Stop delivering to these functions, as disabling their event source mappings would:
        their messages wait in the queues until ``resume``. Tests of one step use it to look at
        that step's outcome before the next step moves the order on."""
        unknown = set(functions) - set(self.specs)
        if unknown:
            raise KeyError(f"no functions {sorted(unknown)} in the template")
        self.paused.update(functions)

    def resume(self, *functions: str) -> None:
        self.paused.difference_update(functions)

    def _tap(self, rule: str, target: dict[str, Any]) -> str:
        """Rules targeting a function deliver to a tap queue that a RuleTarget source reads."""
        sqs = self._provisioner.client("sqs")
        name = f"{self.stack.name}-tap-{rule}-{target['Id']}"[:80]
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        function = logical_function(self.stack, target["Arn"])
        self.taps.append(RuleTarget(name=rule, function=function, queue_url=url, sqs=sqs))
        return str(arn)

    def drain(self, *, max_rounds: int = 400) -> int:
        """Poll every source until a whole round finds nothing to do; returns records handled."""
        total = 0
        for _ in range(max_rounds):
            handled = sum(source.poll_once() for source in self.sources)
            total += handled
            if handled == 0:
                return total
        raise RuntimeError(f"event sources still busy after {max_rounds} rounds")

    def fire(self, rule: str, at: datetime | None = None) -> Any:
        """Run a schedule's function as its rule would at ``at`` (default: now)."""
        schedule = next(s for s in self.schedules if s.name == rule)
        return self.invoker.invoke(schedule.function, schedule.event(at))

    # ------------------------------------------------------------------ conveniences
    def ref(self, logical: str) -> Any:
        return self.stack.refs[logical]

    def att(self, logical: str, attr: str) -> Any:
        return self.stack.attrs[logical][attr]

    def queue_depth(self, logical: str) -> int:
        attrs = self.clients["sqs"].get_queue_attributes(
            QueueUrl=self.ref(logical),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def sent_emails(self) -> list[dict[str, Any]]:
        return self._moto_data("ses", "Message")

    def sns_messages(self) -> list[dict[str, Any]]:
        return self._moto_data("sns", "Topic")

    def _moto_data(self, service: str, model: str) -> list[dict[str, Any]]:
        if self.endpoint_url:
            import urllib.request

            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=10) as r:
                data = json.loads(r.read())
            items: list[dict[str, Any]] = data.get(service, {}).get(model, [])
            return items
        if service == "ses":
            from moto.ses.models import ses_backends

            return [
                {"source": m.source, "destinations": m.destinations, "subject": m.subject, "body": m.body}
                for m in ses_backends["123456789012"]["us-east-1"].sent_messages
            ]
        if service == "sns":
            from moto.sns.models import sns_backends

            return [
                {"name": t.name, "arn": t.arn, "sent_notifications": list(t.sent_notifications)}
                for t in sns_backends["123456789012"]["us-east-1"].topics.values()
            ]
        return []


class LocalApi:
    """Calls the stack's HTTP API routes through their functions, in process (the gateway's JWT
    check is the runner's job; here ``claims`` stand in for a verified token)."""

    def __init__(self, cloud: LocalCloud, claims: dict[str, Any] | None = None) -> None:
        from oms_local.routes import http_routes

        self.cloud = cloud
        self.routes, _ = http_routes(cloud.stack)
        self.claims = claims or {"sub": "test-staff", "client_id": "local"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
        query: str = "",
    ) -> tuple[int, dict[str, str], Any]:
        from oms_local.lambda_events import http_event, http_result
        from oms_local.routes import match

        found = match(self.routes, method, path)
        if found is None:
            return 404, {}, {"message": "Not Found"}
        route, params = found
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"content-type": "application/json", **(headers or {})}
        event = http_event(
            method,
            path,
            route_key=route.route_key,
            headers=all_headers,
            body=data,
            raw_query=query,
            path_parameters=params or None,
            jwt_claims=self.claims if route.authorizer else None,
        )
        result = self.cloud.invoker.invoke(route.function, event)
        if not result.ok:
            return 500, {}, {"message": "Internal Server Error", "error": result.error}
        status, out_headers, out = http_result(result.value)
        try:
            parsed = json.loads(out) if out else None
        except ValueError:
            parsed = out.decode(errors="replace")
        return status, {k.lower(): v for k, v in out_headers}, parsed

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _, parsed = self.request(method, path, body)
        return status, parsed
