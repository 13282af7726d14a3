"""The key that signs links to the customer's pages (a choice while an order waits, a return),
kept in Secrets Manager (the template generates it; read once per process)."""

from __future__ import annotations

from functools import cached_property

from botocore.exceptions import BotoCoreError, ClientError

from oms import signed_links
from oms.customer_choices import sign, verify
from oms.data.aws_clients import client
from oms.errors import ServiceUnavailable
from oms.return_page import page_path
from oms.settings import Settings, get_settings

RETURN_LINK = "oms-return"


class PageLinks:
    """Signed links to the customer's pages, and the check of a token from one."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def _key(self) -> bytes:
        try:
            value = client("secretsmanager").get_secret_value(
                SecretId=self.settings.require("choice_key_secret")
            )["SecretString"]
        except (ClientError, BotoCoreError) as exc:
            raise ServiceUnavailable("the page link key cannot be read", code="secret_unavailable") from exc
        return str(value).encode()

    def _base(self) -> str:
        return self.settings.require("public_api_url").rstrip("/")

    def url(self, order_id: str, offer: int) -> str:
        """The order's choice page (``GET /choices/{token}``)."""
        return f"{self._base()}/choices/{sign(self._key, order_id, offer)}"

    def read(self, token: str) -> tuple[str, int] | None:
        return verify(self._key, token)

    def return_url(self, return_id: str) -> str:
        """A return's page (``GET /returns/page/{token}``): its status, label and what to do."""
        return f"{self._base()}{page_path(self.return_token(return_id))}"

    def return_token(self, return_id: str) -> str:
        return signed_links.sign(self._key, RETURN_LINK, return_id)

    def read_return(self, token: str) -> str | None:
        return signed_links.verify(self._key, RETURN_LINK, token)
