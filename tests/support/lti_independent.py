"""An LTI 1.3 platform no one here wrote: the ``lti1p3platform`` package's core (its
registration and RSA key, its OIDC login initiation, its launch messages and signatures, its
deep-linking validation, its OAuth 2 token grant and token check). Its framework adapters
import ``pkg_resources`` and are not used: the glue below subclasses its abstract classes, and
``IndependentLms`` puts them behind a small Starlette app — an LMS with a course page that
frames the tool.

    lms = IndependentLms("https://127.0.0.2:8443")
    lms.connect(tool_url)            # the tool's login, launch and JWKS URLs
    app = lms.app()                  # serve it (uvicorn); lms.links / lms.scores record
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from starlette.applications import Starlette
from starlette.requests import Request as WebRequest
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
CLIENT_ID = "independent-client"
DEPLOYMENT = "independent-deployment"
DEEP_LINK = "deep-link"  # the lti_message_hint of a deep-linking launch


class Platform(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs):
        self.registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs):
        return self.registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return url


class Request:
    """The library's view of the tool's OIDC authentication request (its query)."""

    def __init__(self, get_data):
        self.get_data = get_data
        self.form_data = {}


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data, **kwargs):
        return launch_data

    def get_preflight_response(self):
        return self._request.get_data


def new_keys() -> tuple[str, str]:
    """The platform's own RSA key pair (PEM private, PEM public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def registration(issuer: str) -> Registration:
    """A registration with the platform's own new keys (the tool's URLs come later)."""
    private, public = new_keys()
    r = Registration()
    r.set_iss(issuer).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT)
    r.set_platform_private_key(private).set_platform_public_key(public)
    return r


def connect(registration: Registration, tool: str) -> Platform:
    """Point the registration at the tool's endpoints; the platform object over it."""
    registration.set_oidc_login_url(tool + "/lti/login")
    registration.set_launch_url(tool + "/lti/launch")
    registration.set_deeplink_launch_url(tool + "/lti/launch")
    registration.set_tool_key_set_url(tool + "/lti/jwks")
    return Platform(registration=registration)


def auto_post(action: str, fields: dict[str, str]) -> str:
    """The self-submitting form an LMS answers with (what a browser carries to the tool)."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return f"""<!doctype html><html><head><link rel="icon" href="data:,"></head><body>
<form id="f" method="post" action="{html.escape(action)}">{inputs}</form>
<script>document.getElementById("f").submit()</script></body></html>"""


async def _form(request: WebRequest) -> dict[str, str]:
    """A urlencoded form (Starlette's own parser needs python-multipart)."""
    return {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}


class IndependentLms:
    """A course in an LMS built on ``lti1p3platform``: people, the links deep linking made,
    a line item per link, and the scores posted to it.

    ``GET /course?who=…[&link=…]``: the course page framing the tool, its launch started by the
    library's login initiation (``link`` absent: a deep-linking launch to add the tool).
    ``GET /auth``: the tool's OIDC authentication request → the library's signed launch.
    ``POST /dl-return``: the tool's answer, checked by ``validate_deeplinking_resp``; its
    resource link recorded. ``POST /token``: ``get_access_token`` on the tool's client
    assertion. ``POST /lineitems/{link}/scores``: ``validate_token`` on the bearer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.registration = registration(url)
        self.platform: Platform | None = None
        self.people: dict[str, tuple[str, list[str], str]] = {}  # who → (sub, roles, name)
        self.links: dict[str, dict[str, Any]] = {}  # resource link id → content item
        self.scores: list[dict[str, Any]] = []
        self.refused: list[str] = []  # the library's refusals, for the test's messages

    def connect(self, tool: str) -> None:
        self.platform = connect(self.registration, tool)

    def cli_args(self) -> list[str]:
        """What an admin gives the tool's CLI to register this platform."""
        return [
            "lti", "add-platform", "--issuer", self.url, "--client-id", CLIENT_ID,
            "--deployment", DEPLOYMENT, "--auth-url", self.url + "/auth",
            "--token-url", self.url + "/token", "--jwks-url", self.url + "/jwks",
        ]  # fmt: skip

    # ---- pages and endpoints ------------------------------------------------------------------

    async def jwks(self, request: WebRequest):
        return JSONResponse({"keys": self.registration.get_jwks()})

    async def course(self, request: WebRequest):
        who = request.query_params["who"]
        link = request.query_params.get("link")
        login = Login(None, self.platform)
        login.set_lti_message_hint(hint=link or DEEP_LINK)
        if link is None:
            login.set_deeplinking_launch_url()
        src = login.initiate_login(who)
        page = f"""<!doctype html><html><head><link rel="icon" href="data:,"></head>
<body><h1>Deep learning (course 9)</h1>
<iframe id="tool" src="{html.escape(src)}" width="1200" height="800"
 allow="fullscreen" title="Backprop Playground"></iframe></body></html>"""
        return HTMLResponse(page)

    async def auth(self, request: WebRequest):
        query = dict(request.query_params)
        sub, roles, name = self.people[query["login_hint"]]
        message = Launch(Request(query), self.platform)
        message.set_user_data(sub, roles, full_name=name)
        message.set_launch_context_claim("course-9", context_title="Deep learning")
        hint = query.get("lti_message_hint")
        if hint == DEEP_LINK:
            message.set_dl(
                deep_link_return_url=self.url + "/dl-return",
                title="Add an activity",
                accept_types=["ltiResourceLink"],
            )
            message.set_extra_claims({MESSAGE_TYPE: "LtiDeepLinkingRequest"})
        else:
            item = self.links[hint]
            message.set_resource_link_claim(hint, title=item.get("title", ""))
            message.set_custom_parameters_claim(item.get("custom", {}))
            message.set_ags(self.url + "/lineitems", f"{self.url}/lineitems/{hint}")
        try:
            form = message.lti_launch()
        except Exception as exc:  # the library refusing the tool's request
            self.refused.append(repr(exc))
            return JSONResponse({"error": repr(exc)}, status_code=400)
        return HTMLResponse(
            auto_post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})
        )

    async def dl_return(self, request: WebRequest):
        form = await _form(request)
        try:
            items = self.platform.validate_deeplinking_resp({"JWT": form["JWT"]})
        except Exception as exc:
            self.refused.append(repr(exc))
            return HTMLResponse(f"<p id='refused'>{html.escape(repr(exc))}</p>", 400)
        for item in items:
            self.links["link-" + secrets.token_hex(4)] = item
        titles = ", ".join(html.escape(i.get("title", "")) for i in items)
        return HTMLResponse(f"<!doctype html><p id='added'>Added: {titles}</p>")

    async def token(self, request: WebRequest):
        form = await _form(request)
        try:
            return JSONResponse(self.platform.get_access_token(form))
        except Exception as exc:
            self.refused.append(repr(exc))
            return JSONResponse({"error": "invalid_client"}, status_code=401)

    async def score(self, request: WebRequest):
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            assert self.platform.validate_token(bearer, allowed_scopes=[SCORE])
        except Exception as exc:
            self.refused.append(repr(exc))
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        body = json.loads(await request.body())
        self.scores.append({"link": request.path_params["link"], **body})
        return JSONResponse({})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/jwks", self.jwks),
                Route("/course", self.course),
                Route("/auth", self.auth),
                Route("/dl-return", self.dl_return, methods=["POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/lineitems/{link}/scores", self.score, methods=["POST"]),
            ]
        )
