"""Store credentials in SSM Parameter Store (SecureString), read through Powertools Parameters.

Kept free of pydantic: the webhook function imports this module.
Parameter names: ``<prefix>/stores/<channel>/<store_id>/webhook`` (signing secret and origin)
and ``<prefix>/stores/<channel>/<store_id>/api`` (channel API credentials for pushing fulfilments).
"""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.settings import Settings, get_settings
from oms.webhooks import StoreCredentials


def webhook_parameter(prefix: str, channel: str, store_id: str) -> str:
    return f"{prefix}/stores/{channel}/{store_id}/webhook"


def api_parameter(prefix: str, channel: str, store_id: str) -> str:
    return f"{prefix}/stores/{channel}/{store_id}/api"


class WebhookCredentials:
    """Cached reads of a store's webhook credentials (None for a store that is not registered).

    Unknown stores are remembered briefly too, so a flood of deliveries to a wrong URL does not
    become a flood of SSM calls; a forced refresh (after a signature mismatch, to pick up a rotated
    secret) is allowed once a minute per store.
    """

    NEGATIVE_TTL = 30.0
    REFRESH_INTERVAL = 60.0

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.provider = SSMProvider(boto3_client=client("ssm", fast=True))
        self._unknown: dict[str, float] = {}
        self._parsed: dict[str, tuple[str, StoreCredentials]] = {}
        self._refreshed: dict[str, float] = {}

    def credentials(self, channel: str, store_id: str, *, fresh: bool = False) -> StoreCredentials | None:
        name = webhook_parameter(self.settings.parameter_prefix, channel, store_id)
        now = time.monotonic()
        if fresh:
            if now - self._refreshed.get(name, -1e9) < self.REFRESH_INTERVAL:
                return None
            self._refreshed[name] = now
        elif self._unknown.get(name, 0.0) > now:
            return None
        try:
            raw = self.provider.get(
                name, decrypt=True, max_age=self.settings.secret_cache_seconds, force_fetch=fresh
            )
        except GetParameterError as exc:
            if "ParameterNotFound" in repr(exc.__cause__) or "ParameterNotFound" in str(exc):
                self._unknown[name] = now + self.NEGATIVE_TTL
                return None
            raise ServiceUnavailable("the parameter store is not reachable; try again later") from exc
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailable("the parameter store is not reachable; try again later") from exc
        self._unknown.pop(name, None)
        text = str(raw)
        cached = self._parsed.get(name)
        if cached is None or cached[0] != text:
            cached = (text, StoreCredentials.from_parameter(text))
            self._parsed[name] = cached
        return cached[1]
