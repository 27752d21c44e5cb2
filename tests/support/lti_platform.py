"""A fake LTI 1.3 platform (an LMS) for tests, over real HTTP on loopback, with its own RSA key.

It does what Canvas or Moodle do in a launch, and nothing of the tool's code: it signs
id_tokens with its own key and publishes its JWKS, answers the OIDC authentication request
with the auto-posting form a browser follows, grants AGS access tokens only for client
assertions that verify with the *tool's* published JWKS, records the scores posted to its
line items (failing the next ``fail_scores`` posts with 503, to test retries), receives deep
linking answers, and serves a course page that frames the tool.

    with FakePlatform() as lms:
        lms.users["ann"] = learner("ann-sub", "Ann Lee")
        lms.tool_url = server.url
        url = lms.login_url("ann")                # where the LMS sends the browser first
        token = lms.id_token("ann", nonce)        # a launch's signed id_token
"""

from __future__ import annotations

import html
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
CLIENT_ID = "bpp-tool-1"
DEPLOYMENT = "deployment-1"


def learner(sub: str, name: str | None) -> dict[str, Any]:
    return {"sub": sub, "name": name, "roles": [ROLE + "Learner"]}


def instructor(sub: str, name: str | None) -> dict[str, Any]:
    return {"sub": sub, "name": name, "roles": [ROLE + "Instructor"]}


class FakePlatform:
    def __init__(
        self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None, verify: Any = True
    ) -> None:
        """``host``: the loopback address to serve on (another address is another site);
        ``tls``: serve HTTPS with this server context; ``verify``: how the platform checks the
        tool's certificate (httpx's ``verify``)."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": "lms-key-1", "alg": "RS256"})
        self.server = ThreadingHTTPServer((host, 0), _Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.platform = self  # type: ignore[attr-defined]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}"
        self.verify = verify
        self.issuer = self.url
        self.client_id = CLIENT_ID
        self.deployment_id = DEPLOYMENT
        self.users: dict[str, dict[str, Any]] = {}
        self.tool_url = ""  # the tool's base URL (its /lti/login, /lti/launch, /lti/jwks)
        self.resource_link = {"id": "link-1", "title": "Week 3: backpropagation"}
        self.custom: dict[str, Any] = {}
        self.message_type = "LtiResourceLinkRequest"
        self.scores: list[dict[str, Any]] = []
        self.tokens_granted = 0
        self.fail_scores = 0
        self.deep_link_answers: list[str] = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> FakePlatform:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- what an admin registers with the tool ----------------------------------------------

    def registration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_url": self.url + "/auth",
            "token_url": self.url + "/token",
            "jwks_url": self.url + "/jwks",
        }

    def cli_args(self) -> list[str]:
        r = self.registration()
        return [
            "lti", "add-platform", "--issuer", r["issuer"], "--client-id", r["client_id"],
            "--deployment", self.deployment_id, "--auth-url", r["auth_url"],
            "--token-url", r["token_url"], "--jwks-url", r["jwks_url"],
        ]  # fmt: skip

    @property
    def lineitem(self) -> str:
        return self.url + "/lineitems/7?type=assignment"

    # ---- launches -------------------------------------------------------------------------------

    def login_params(self, who: str) -> dict[str, str]:
        return {
            "iss": self.issuer,
            "login_hint": who,
            "target_link_uri": self.tool_url + "/lti/launch",
            "lti_message_hint": "msg-" + who,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }

    def login_url(self, who: str) -> str:
        return self.tool_url + "/lti/login?" + urlencode(self.login_params(who))

    def claims(self, who: str, nonce: str) -> dict[str, Any]:
        """The id_token's claims for user ``who``, as a platform sends them."""
        user = self.users[who]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": user["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            LTI + "message_type": self.message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": self.tool_url + "/lti/launch",
            LTI + "roles": user["roles"],
            LTI + "context": {"id": "course-1", "title": "Neural networks 101"},
            LTI + "custom": dict(self.custom),
        }
        if user.get("name"):
            claims["name"] = user["name"]
        if user.get("email"):
            claims["email"] = user["email"]
        if self.message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = dict(self.resource_link)
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": [SCORE_SCOPE],
                "lineitems": self.url + "/lineitems",
                "lineitem": self.lineitem,
            }
        else:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": self.url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-data-42",
            }
        return claims

    def sign(
        self, claims: dict[str, Any], key: RSAKey | None = None, kid: str | None = None
    ) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": kid or key.kid, "typ": "JWT"}, claims, key)

    def id_token(self, who: str, nonce: str, /, **changes: Any) -> str:
        claims = self.claims(who, nonce)
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self.sign(claims)

    # ---- checks of the tool's signatures --------------------------------------------------------

    def tool_keys(self) -> KeySet:
        answer = httpx.get(self.tool_url + "/lti/jwks", timeout=30, verify=self.verify)
        return KeySet.import_key_set(answer.json())

    def verify_tool_jwt(self, token: str) -> dict[str, Any]:
        """The claims of a JWT the tool signed, verified with the tool's published JWKS."""
        return dict(jwt.decode(token, self.tool_keys(), algorithms=["RS256"]).claims)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    @property
    def lms(self) -> FakePlatform:
        return self.server.platform  # type: ignore[attr-defined]

    def _send(self, status: int, body: str | bytes, kind: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/jwks":
            self._send(200, json.dumps({"keys": [self.lms.key.as_dict(private=False)]}))
        elif parts.path == "/auth":
            self._auth(query)
        elif parts.path == "/course":
            self._course(query.get("who", ""))
        else:
            self._send(404, "{}")

    def _auth(self, q: dict[str, str]) -> None:
        """The OIDC authentication request → a form that posts the id_token to the tool."""
        lms = self.lms
        if q.get("client_id") != lms.client_id or q.get("redirect_uri") != (
            lms.tool_url + "/lti/launch"
        ):
            self._send(400, '{"error": "invalid_request"}')
            return
        token = lms.id_token(q["login_hint"], q["nonce"])
        page = f"""<!doctype html><html><head><link rel="icon" href="data:,"></head><body>
<form id="f" method="post" action="{html.escape(q["redirect_uri"])}">
<input type="hidden" name="id_token" value="{html.escape(token)}">
<input type="hidden" name="state" value="{html.escape(q["state"])}">
</form><script>document.getElementById("f").submit()</script></body></html>"""
        self._send(200, page, "text/html")

    def _course(self, who: str) -> None:
        """The LMS's course page: the tool in a frame, started by the login initiation."""
        src = html.escape(self.lms.login_url(who))
        page = f"""<!doctype html><html><head><link rel="icon" href="data:,"></head>
<body><h1>Neural networks 101</h1>
<iframe id="tool" src="{src}" width="1200" height="800"
 allow="fullscreen" title="Backprop Playground"></iframe></body></html>"""
        self._send(200, page, "text/html")

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        form = self._form()
        if parts.path == "/token":
            self._token(form)
        elif parts.path.startswith("/lineitems/") and parts.path.endswith("/scores"):
            self._score(form)
        elif parts.path == "/deep-link-return":
            self.lms.deep_link_answers.append(form.get("JWT", ""))
            self._send(200, "<p>Added.</p>", "text/html")
        else:
            self._send(404, "{}")

    def _token(self, form: dict[str, str]) -> None:
        lms = self.lms
        try:
            claims = lms.verify_tool_jwt(form["client_assertion"])
            ok = (
                form.get("grant_type") == "client_credentials"
                and claims["iss"] == lms.client_id
                and claims["sub"] == lms.client_id
                and claims["aud"] == lms.url + "/token"
                and claims["exp"] > time.time()
                and SCORE_SCOPE in form.get("scope", "")
            )
        except Exception:
            ok = False
        if not ok:
            self._send(401, '{"error": "invalid_client"}')
            return
        lms.tokens_granted += 1
        self._send(200, json.dumps({"access_token": "lms-access-" + secrets.token_hex(8),
                                    "token_type": "bearer", "expires_in": 3600}))  # fmt: skip

    def _score(self, body: dict[str, Any]) -> None:
        lms = self.lms
        if not (self.headers.get("Authorization") or "").startswith("Bearer lms-access-"):
            self._send(401, "{}")
            return
        if "score+json" not in (self.headers.get("Content-Type") or ""):
            self._send(415, "{}")
            return
        if lms.fail_scores > 0:
            lms.fail_scores -= 1
            self._send(503, '{"error": "try later"}')
            return
        lms.scores.append(body)
        self._send(200, "{}")
