"""One settings model for every environment variable the functions read.

A stdlib dataclass rather than a pydantic model on purpose: the webhook function must stay
within 15 % of a bare boto3 cold start, and pydantic alone costs more than that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache


class ConfigurationError(RuntimeError):
    """A setting the running function needs is missing or malformed."""


def _env(name: str) -> dict[str, str]:
    return {"env": name}


@dataclass(frozen=True, slots=True)
class Settings:
    stage: str = field(default="dev", metadata=_env("OMS_STAGE"))
    table_name: str = field(default="", metadata=_env("TABLE_NAME"))
    intake_queue_url: str = field(default="", metadata=_env("INTAKE_QUEUE_URL"))
    jobs_queue_url: str = field(default="", metadata=_env("JOBS_QUEUE_URL"))
    reconcile_queue_url: str = field(default="", metadata=_env("RECONCILE_QUEUE_URL"))
    catalog_queue_url: str = field(default="", metadata=_env("CATALOG_QUEUE_URL"))
    privacy_queue_url: str = field(default="", metadata=_env("PRIVACY_QUEUE_URL"))
    delivery_queue_url: str = field(default="", metadata=_env("DELIVERY_QUEUE_URL"))
    event_archive_arn: str = field(default="", metadata=_env("EVENT_ARCHIVE_ARN"))
    event_bus_arn: str = field(default="", metadata=_env("EVENT_BUS_ARN"))
    outbound_rule_arn: str = field(default="", metadata=_env("OUTBOUND_RULE_ARN"))
    export_bucket: str = field(default="", metadata=_env("EXPORT_BUCKET"))
    event_bus_name: str = field(default="", metadata=_env("EVENT_BUS_NAME"))
    parameter_prefix: str = field(default="/oms/dev", metadata=_env("PARAMETER_PREFIX"))
    alerts_topic_arn: str = field(default="", metadata=_env("ALERTS_TOPIC_ARN"))
    sender_email: str = field(default="", metadata=_env("SENDER_EMAIL"))
    # Customer choice links (oms.customer_choices): the signing key's secret and the public API.
    choice_key_secret: str = field(default="", metadata=_env("CHOICE_KEY_SECRET"))
    public_api_url: str = field(default="", metadata=_env("PUBLIC_API_URL"))
    # Shopify retries a failed delivery 8 times over 4 hours and keeps X-Shopify-Triggered-At,
    # so the replay window must outlast the retry schedule.
    webhook_max_age_seconds: int = field(default=5 * 3600, metadata=_env("WEBHOOK_MAX_AGE_SECONDS"))
    secret_cache_seconds: int = field(default=300, metadata=_env("SECRET_CACHE_SECONDS"))
    low_stock_threshold: int = field(default=5, metadata=_env("LOW_STOCK_THRESHOLD"))
    idempotency_ttl_seconds: int = field(default=7 * 24 * 3600, metadata=_env("IDEMPOTENCY_TTL_SECONDS"))
    carrier_api_parameter: str = field(default="", metadata=_env("CARRIER_API_PARAMETER"))
    tracking_stalled_days: int = field(default=5, metadata=_env("TRACKING_STALLED_DAYS"))
    tracking_batch_limit: int = field(default=200, metadata=_env("TRACKING_BATCH_LIMIT"))
    tracking_concurrency: int = field(default=8, metadata=_env("TRACKING_CONCURRENCY"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            if f.type == "int":
                try:
                    values[f.name] = int(raw)
                except ValueError as exc:
                    raise ConfigurationError(f"{f.metadata['env']} must be an integer, got {raw!r}") from exc
            else:
                values[f.name] = raw
        return cls(**values)  # type: ignore[arg-type]

    def require(self, name: str) -> str:
        """The value of a setting this function cannot work without."""
        value = getattr(self, name)
        if not value:
            env = next(f.metadata["env"] for f in fields(self) if f.name == name)
            raise ConfigurationError(f"environment variable {env} is not set")
        return str(value)


@cache
def get_settings() -> Settings:
    return Settings.from_env()
