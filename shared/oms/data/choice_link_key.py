"""The key that signs customer choice links, kept in Secrets Manager (the template generates it;
read once per process)."""

from __future__ import annotations

from functools import cached_property

from botocore.exceptions import BotoCoreError, ClientError

from oms.customer_choices import sign, verify
from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.settings import Settings, get_settings


class ChoiceLinks:
    """Signed links to an order's choice page, and the check of a token from one."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def _key(self) -> bytes:
        try:
            value = client("secretsmanager").get_secret_value(
                SecretId=self.settings.require("choice_key_secret")
            )["SecretString"]
        except (ClientError, BotoCoreError) as exc:
            raise ServiceUnavailable("the choice link key cannot be read", code="secret_unavailable") from exc
        return str(value).encode()

    def url(self, order_id: str, offer: int) -> str:
        base = self.settings.require("public_api_url").rstrip("/")
        return f"{base}/choices/{sign(self._key, order_id, offer)}"

    def read(self, token: str) -> tuple[str, int] | None:
        return verify(self._key, token)
