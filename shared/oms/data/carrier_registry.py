"""Which carrier serves a store, or a label: the sandbox, EasyPost (API key in SSM), or manual."""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from oms.carriers.carrier import Carrier
from oms.carriers.easypost_carrier import EasyPostCarrier
from oms.carriers.manual_carrier import ManualCarrier
from oms.carriers.sandbox_carrier import SandboxCarrier
from oms.data.aws_clients import client
from oms.errors import BadRequest
from oms.integrations.http_transport import Transport, UrllibTransport
from oms.models import Store
from oms.settings import Settings, get_settings
from oms.shipments import Label


class CarrierRegistry:
    def __init__(self, settings: Settings | None = None, transport: Transport | None = None) -> None:
        self.settings = settings or get_settings()
        self.transport = transport or UrllibTransport()
        self.sandbox = SandboxCarrier()
        self._ssm: SSMProvider | None = None
        self._missing_until = 0.0

    def _easypost_key(self) -> str:
        name = self.settings.carrier_api_parameter
        if not name:
            raise BadRequest(
                "EasyPost is not configured (template parameter CarrierApiParameter)",
                code="carrier_not_configured",
            )
        if self._ssm is None:
            self._ssm = SSMProvider(boto3_client=client("ssm"))
        try:
            return str(self._ssm.get(name, decrypt=True, max_age=300))
        except GetParameterError as error:
            raise BadRequest(
                f"the EasyPost API key is not in SSM parameter {name}", code="carrier_not_configured"
            ) from error

    def _easypost_configured(self) -> bool:
        """Whether an EasyPost key is set up; a missing key is remembered for a minute so untracked
        manual parcels do not cost an SSM call each."""
        now = time.monotonic()
        if self._missing_until > now:
            return False
        try:
            self._easypost_key()
        except BadRequest:
            self._missing_until = now + 60
            return False
        return True

    def easypost(self) -> EasyPostCarrier:
        return EasyPostCarrier(self._easypost_key, self.transport)

    def for_store(self, store: Store | None) -> Carrier:
        choice = store.settings.carrier if store else "sandbox"
        if choice == "easypost":
            return self.easypost()
        if choice == "manual":
            return ManualCarrier(self.easypost() if self._easypost_configured() else None)
        return self.sandbox

    def for_label(self, label: Label) -> Carrier | None:
        """The carrier that can track (and void) this label; None when nobody can track it."""
        if label.provider == "sandbox":
            return self.sandbox
        if label.provider == "easypost":
            return self.easypost()
        if label.provider == "manual" and self._easypost_configured():
            return ManualCarrier(self.easypost())
        return None
