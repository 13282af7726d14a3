"""Delivering to a subscriber's URL without reaching anything private (oms.outbound_webhooks): the
name is resolved, every address it resolves to must be public, and the connection is made to the
address that was checked (with the name for TLS and the certificate), so a name that changes its
answer between the check and the connection (DNS rebinding) reaches nothing else. Redirects are
not followed. Tests swap in a transport that records what it was asked to send."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from oms.outbound_webhooks import TargetRefused, check_target, public

Resolver = Callable[..., list[tuple[Any, ...]]]


class DeliveryFailed(Exception):
    """No answer: ``code`` says why (timeout, refused_address, connection, tls)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class WebhookTransport(Protocol):
    def post(self, url: str, *, headers: dict[str, str], body: bytes, timeout: float) -> int:
        """The HTTP status the subscriber answered; DeliveryFailed when there was none."""
        ...


class _PinnedConnection(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._ssl_context = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._ssl_context.wrap_socket(raw, server_hostname=self.host)


class PinnedTransport:
    def __init__(self, resolve: Resolver = socket.getaddrinfo) -> None:
        self.resolve = resolve
        self.context = ssl.create_default_context()

    def address_of(self, host: str, port: int) -> str:
        """The address to connect to, once every address the name has is known to be public."""
        try:
            found = self.resolve(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise DeliveryFailed("unresolvable") from error
        addresses = [str(info[4][0]) for info in found]
        if not addresses or not all(public(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
            raise DeliveryFailed("refused_address")
        return addresses[0]

    def post(self, url: str, *, headers: dict[str, str], body: bytes, timeout: float) -> int:
        try:
            check_target(url)
        except TargetRefused as error:
            raise DeliveryFailed("refused_address") from error
        parts = urlsplit(url)
        host, port = str(parts.hostname), parts.port or 443
        address = self.address_of(host, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _PinnedConnection(host, port, address=address, timeout=timeout, context=self.context)
        try:
            connection.request("POST", path, body=body, headers=headers)
            return connection.getresponse().status
        except TimeoutError as error:
            raise DeliveryFailed("timeout") from error
        except ssl.SSLError as error:
            raise DeliveryFailed("tls") from error
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryFailed("connection") from error
        finally:
            connection.close()
