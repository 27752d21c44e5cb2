"""One OpenID Connect provider: its discovery document (cached), the authorization request
(state, nonce and a PKCE S256 challenge), and the callback's code exchanged for the signed-in
person — the id_token verified (signature against the provider's JWKS, iss, aud/azp, exp/iat,
nonce), then the userinfo endpoint read for the e-mail and name (many providers put only
``sub`` in the id_token). Synchronous HTTP: the routes call it in a thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from app.errors import FieldError
from app.lti.claims import check_audience, check_times
from app.lti.jwks import PlatformKeys, fetch_json
from app.settings import Settings

DISCOVERY_SECONDS = 3600.0


def sso_error(field: str, message: str, status: int = 400) -> FieldError:
    return FieldError(field, message, status_code=status, kind="sso")


@dataclass(frozen=True)
class Person:
    issuer: str
    sub: str
    email: str | None
    email_verified: bool
    name: str | None


class Provider:
    def __init__(self, settings: Settings, keys: PlatformKeys) -> None:
        self.settings = settings
        self.keys = keys
        self._lock = threading.Lock()
        self._discovery: tuple[float, dict[str, Any]] | None = None

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(s.oidc_discovery_url and s.oidc_client_id)

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            kept = self._discovery
        if kept is not None and time.monotonic() - kept[0] < DISCOVERY_SECONDS:
            return kept[1]
        try:
            doc = fetch_json(
                self.settings.oidc_discovery_url or "", self.settings.lti_http_timeout_seconds
            )
            for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(doc.get(name), str):
                    raise ValueError(f"no {name}")
        except Exception as exc:
            raise sso_error(
                "oidc_discovery_url", f"the provider could not be read ({exc})", 502
            ) from None
        with self._lock:
            self._discovery = (time.monotonic(), doc)
        return doc

    def _client(self, redirect_uri: str) -> OAuth2Client:
        s = self.settings
        return OAuth2Client(
            client_id=s.oidc_client_id,
            client_secret=s.oidc_client_secret,
            scope=s.oidc_scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if s.oidc_client_secret else "none",
            timeout=s.lti_http_timeout_seconds,
        )

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        doc = self.discovery()
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                doc["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
            )
        return url

    def person(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> Person:
        """The code of the callback → the person, every claim checked; ``FieldError``."""
        doc = self.discovery()
        with self._client(redirect_uri) as client:
            try:
                token = client.fetch_token(
                    doc["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
            except Exception as exc:  # the provider's refusal (invalid_grant...) or the network
                raise sso_error("code", f"the provider refused the code ({exc})", 401) from None
            claims = self._id_token(token.get("id_token"), doc, nonce)
            info: dict[str, Any] = {}
            if isinstance(doc.get("userinfo_endpoint"), str):
                try:
                    answer = client.get(doc["userinfo_endpoint"])
                    answer.raise_for_status()
                    info = answer.json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise sso_error("userinfo", f"could not be read ({exc})", 502) from None
                if info.get("sub") != claims["sub"]:
                    raise sso_error("userinfo", "is another person's than the id_token's", 401)
        merged = {**claims, **info}
        email = merged.get("email") if isinstance(merged.get("email"), str) else None
        name = merged.get("name") if isinstance(merged.get("name"), str) else None
        return Person(
            doc["issuer"], claims["sub"], email, merged.get("email_verified") is True, name
        )

    def _id_token(self, token: Any, doc: dict[str, Any], nonce: str) -> dict[str, Any]:
        if not isinstance(token, str):
            raise sso_error("id_token", "the provider sent no id_token", 401)
        try:
            header = extract_compact(token.encode()).protected
            keys = self.keys.key_set(doc["jwks_uri"], header.get("kid"))
            algorithms = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
            allowed = [a for a in algorithms if a.startswith(("RS", "PS", "ES", "Ed"))]
            claims = dict(jwt.decode(token, keys, algorithms=allowed or ["RS256"]).claims)
        except (JoseError, ValueError) as exc:
            raise sso_error(
                "id_token", f"does not verify with the provider's keys ({exc})", 401
            ) from None
        if claims.get("iss") != doc["issuer"]:
            raise sso_error("iss", "the id_token is not the provider's", 401)
        check_audience(claims, self.settings.oidc_client_id or "")
        check_times(
            claims,
            time.time(),
            self.settings.lti_clock_skew_seconds,
            self.settings.lti_max_token_age_seconds,
        )
        if claims.get("nonce") != nonce:
            raise sso_error("nonce", "is not this login's", 401)
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise sso_error("sub", "is missing from the id_token", 401)
        return claims
