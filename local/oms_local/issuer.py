"""A local token issuer standing in for the template's JWT authorizer issuer (Cognito or any
OIDC provider): it signs tokens for the issuer and audience the template declares, and the local
HTTP API verifies them the way API Gateway's JWT authorizer does."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from oms_local.routes import Authorizer


class Unauthorized(Exception):
    pass


class LocalIssuer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(
        self,
        authorizer: Authorizer,
        *,
        subject: str = "local-admin",
        ttl: int = 30 * 24 * 3600,
        audience: str | None = None,
        issuer: str | None = None,
        now: float | None = None,
        **claims: Any,
    ) -> str:
        issued = int(now if now is not None else time.time())
        payload = {
            "iss": issuer or authorizer.issuer,
            "sub": subject,
            "aud": audience or (authorizer.audience[0] if authorizer.audience else "local"),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "token_use": "id",
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, authorizer: Authorizer, header_value: str | None) -> dict[str, Any]:
        """Claims of a valid token; Unauthorized for a missing, malformed, expired, foreign token."""
        if not header_value:
            raise Unauthorized("no token")
        token = header_value.split(" ", 1)[1] if header_value.lower().startswith("bearer ") else header_value
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self.kid:
                raise Unauthorized("unknown signing key")
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["RS256"],
                issuer=authorizer.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(str(exc)) from exc
        # API Gateway accepts the token when its aud (or client_id) is one of the audiences.
        audiences = claims.get("aud")
        given = set(audiences if isinstance(audiences, list) else [audiences]) | {claims.get("client_id")}
        if not given & set(authorizer.audience):
            raise Unauthorized("token is for another audience")
        return claims
