"""Cognito's hosted UI, locally: the endpoints the admin app signs in through in AWS
(``/oauth2/authorize``, ``/login``, ``/oauth2/token``, ``/logout``), answering as Cognito does for
an app client with the authorization-code grant and PKCE (S256 only), for the demo users that
``make run`` prints. Tokens are the local issuer's, so the local HTTP API verifies them as API
Gateway's JWT authorizer verifies Cognito's: an access token carries ``client_id``,
``username`` and ``cognito:groups`` (the role, oms.staff_roles)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from oms_local.issuer import LocalIssuer
from oms_local.routes import Authorizer

CODE_TTL = 300  # Cognito's authorization codes live 5 minutes
ACCESS_TTL = 3600  # the template's AccessTokenValidity: 1 hour
Answer = tuple[int, list[tuple[str, str]], bytes]
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · OMS</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{font: 16px system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem}}
label {{display: block; margin: .8rem 0 .2rem}}
input {{font: inherit; width: 100%; padding: .4rem; box-sizing: border-box}}
button {{font: inherit; margin-top: 1rem; padding: .5rem 1rem; background: #0b57d0; color: #fff;
  border: 0; border-radius: 4px}}
.error {{color: #a50e0e; font-weight: 600}}
</style></head>
<body><main><h1>Sign in</h1><p>OMS staff (local sign-in, standing in for Cognito)</p>{alert}
<form method="post" action="/login">{hidden}
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>"""


@dataclass(frozen=True)
class User:
    email: str
    password: str
    groups: tuple[str, ...]

    @property
    def sub(self) -> str:
        return hashlib.sha256(self.email.encode()).hexdigest()[:32]


@dataclass
class _Code:
    user: User
    redirect_uri: str
    challenge: str
    expires: float


@dataclass
class HostedUi:
    issuer: LocalIssuer
    authorizer: Authorizer
    users: dict[str, User]
    # Where sign-in may send the browser back to (the app client's callback URLs).
    callbacks: list[str] = field(default_factory=list)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _refresh: dict[str, User] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    PATHS = ("/oauth2/authorize", "/login", "/oauth2/token", "/logout")

    @property
    def client_id(self) -> str:
        return self.authorizer.audience[0] if self.authorizer.audience else "local"

    def handle(self, method: str, path: str, query: str, body: bytes) -> Answer:
        params = dict(parse_qsl(query))
        if path in ("/oauth2/authorize", "/login") and method == "GET":
            return self._form(params, error=None)
        if path == "/login" and method == "POST":
            return self._sign_in(dict(parse_qsl(body.decode("utf-8", "replace"))))
        if path == "/oauth2/token" and method == "POST":
            return self._token(dict(parse_qsl(body.decode("utf-8", "replace"))))
        if path == "/logout" and method == "GET":
            target = params.get("logout_uri", "")
            if params.get("client_id") != self.client_id or not self._allowed(target):
                return _json(400, {"error": "invalid_request"})
            return 302, [("location", target)], b""
        return _json(405, {"error": "invalid_request"})

    # ---------------------------------------------------------------- sign-in page
    def _check(self, params: dict[str, str]) -> str | None:
        if params.get("client_id") != self.client_id:
            return "unknown client"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if not self._allowed(params.get("redirect_uri", "")):
            return "redirect_uri is not one of the client's callback URLs"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE (code_challenge_method S256) is required"
        return None

    def _allowed(self, uri: str) -> bool:
        return any(uri == c or uri.startswith(c.rstrip("/") + "/") for c in self.callbacks)

    def _form(self, params: dict[str, str], error: str | None) -> Answer:
        problem = self._check(params)
        if problem:
            return _json(400, {"error": "invalid_request", "error_description": problem})
        keep = (
            "client_id",
            "response_type",
            "redirect_uri",
            "state",
            "code_challenge",
            "code_challenge_method",
        )
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params.get(k, ""))}">' for k in keep
        )
        alert = f'<p role="alert" class="error">{html.escape(error)}</p>' if error else ""
        page = PAGE.format(alert=alert, hidden=hidden)
        callbacks = " ".join(sorted({_origin(c) for c in self.callbacks}))
        return (
            200,
            [
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-store"),
                (
                    "content-security-policy",
                    f"default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {callbacks}; "
                    "frame-ancestors 'none'; base-uri 'none'",
                ),
            ],
            page.encode(),
        )

    def _sign_in(self, form: dict[str, str]) -> Answer:
        problem = self._check(form)
        if problem:
            return _json(400, {"error": "invalid_request", "error_description": problem})
        user = self.users.get(form.get("username", "").strip().lower())
        if user is None or not hmac.compare_digest(user.password, form.get("password", "")):
            _, headers, body = self._form(form, error="Incorrect username or password.")
            return 400, headers, body
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                user, form["redirect_uri"], form["code_challenge"], time.time() + CODE_TTL
            )
        back = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        return 302, [("location", f"{form['redirect_uri']}?{urlencode(back)}")], b""

    # ---------------------------------------------------------------- token endpoint
    def _token(self, form: dict[str, str]) -> Answer:
        if form.get("client_id") != self.client_id:
            return _json(400, {"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with self._lock:
                code = self._codes.pop(form.get("code", ""), None)  # a code is good once
            verifier = form.get("code_verifier", "")
            digest = _s256(verifier)
            if (
                code is None
                or code.expires < time.time()
                or code.redirect_uri != form.get("redirect_uri")
                or not hmac.compare_digest(digest, code.challenge)
            ):
                return _json(400, {"error": "invalid_grant"})
            refresh = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = code.user
            return _json(200, {**self._tokens(code.user), "refresh_token": refresh})
        if grant == "refresh_token":
            with self._lock:
                user = self._refresh.get(form.get("refresh_token", ""))
            if user is None:
                return _json(400, {"error": "invalid_grant"})
            return _json(200, self._tokens(user))
        return _json(400, {"error": "unsupported_grant_type"})

    def _tokens(self, user: User) -> dict[str, object]:
        groups: dict[str, Any] = {"cognito:groups": list(user.groups), "auth_time": int(time.time())}
        access_claims: dict[str, Any] = {**groups, "client_id": self.client_id, "username": user.email}
        access_claims["token_use"] = "access"  # noqa: S105 - the kind of token, not a secret
        id_claims: dict[str, Any] = {**groups, "email": user.email}
        id_claims["token_use"] = "id"  # noqa: S105 - the kind of token, not a secret
        access = self.issuer.token(self.authorizer, subject=user.sub, ttl=ACCESS_TTL, **access_claims)
        identity = self.issuer.token(self.authorizer, subject=user.sub, ttl=ACCESS_TTL, **id_claims)
        return {
            "access_token": access,
            "id_token": identity,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL,
        }


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _json(status: int, body: object) -> Answer:
    return (
        status,
        [("content-type", "application/json"), ("cache-control", "no-store")],
        json.dumps(body).encode(),
    )
