"""A fake OpenID Connect provider for tests, over real HTTP on loopback, with its own RSA key:
discovery, an authorization endpoint that signs in ``provider.user`` at once (302 back with a
code), a token endpoint that checks the client's secret (HTTP Basic), the redirect URI and the
PKCE S256 verifier before it answers, an id_token holding only ``sub`` (like node
oidc-provider), and userinfo with the e-mail and name. ``misbehave`` makes its next id_token
wrong in one claim."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "playground"
CLIENT_SECRET = "s3cret-of-the-playground"


class FakeOidcProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "alg": "RS256"})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.idp = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.user: dict[str, Any] = {
            "sub": "u-1",
            "email": "ada@uni.example",
            "email_verified": True,
            "name": "Ada Lovelace",
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.misbehave: dict[str, Any] = {}
        self.refusals: list[str] = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def discovery_url(self) -> str:
        return self.url + "/.well-known/openid-configuration"

    def __enter__(self) -> FakeOidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    @property
    def idp(self) -> FakeOidcProvider:
        return self.server.idp  # type: ignore[attr-defined]

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        idp = self.idp
        if parts.path == "/.well-known/openid-configuration":
            self._send(200, {
                "issuer": idp.url,
                "authorization_endpoint": idp.url + "/authorize",
                "token_endpoint": idp.url + "/token",
                "userinfo_endpoint": idp.url + "/userinfo",
                "jwks_uri": idp.url + "/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            })  # fmt: skip
        elif parts.path == "/jwks":
            self._send(200, {"keys": [idp.key.as_dict(private=False)]})
        elif parts.path == "/authorize":
            ok = (
                q.get("client_id") == CLIENT_ID
                and q.get("response_type") == "code"
                and q.get("code_challenge_method") == "S256"
                and q.get("code_challenge")
                and "openid" in q.get("scope", "").split()
            )
            if not ok:
                idp.refusals.append("authorize: " + json.dumps(q))
                self._send(400, {"error": "invalid_request"})
                return
            code = secrets.token_urlsafe(16)
            idp.codes[code] = {**q, "user": dict(idp.user)}
            back = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
            self._send(302, {}, {"Location": back})
        elif parts.path == "/userinfo":
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            user = idp.tokens.get(token)
            self._send(200, user) if user else self._send(401, {"error": "invalid_token"})
        else:
            self._send(404, {})

    def do_POST(self) -> None:  # noqa: N802
        idp = self.idp
        if urlsplit(self.path).path != "/token":
            self._send(404, {})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        grant = idp.codes.pop(form.get("code", ""), None)
        why = None
        if self.headers.get("Authorization") != f"Basic {basic}":
            why = "client authentication"
        elif grant is None:
            why = "unknown or used code"
        elif form.get("redirect_uri") != grant["redirect_uri"]:
            why = "redirect_uri"
        elif (
            _b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            != grant["code_challenge"]
        ):
            why = "PKCE verifier"
        if why:
            idp.refusals.append(why)
            self._send(400, {"error": "invalid_grant", "error_description": why})
            return
        now = int(time.time())
        claims = {
            "iss": idp.url,
            "aud": CLIENT_ID,
            "sub": grant["user"]["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **idp.misbehave,
        }
        idp.misbehave = {}
        access = secrets.token_urlsafe(16)
        idp.tokens[access] = grant["user"]
        id_token = jwt.encode({"alg": "RS256", "kid": idp.key.kid}, claims, idp.key)
        self._send(200, {
            "access_token": access, "token_type": "Bearer", "expires_in": 300,
            "id_token": id_token,
        })  # fmt: skip
