"""The claims of an LTI 1.3 id_token and the checks each must pass (LTI Core 1.3 §5.1, the
Security Framework §5.1.3). Pure functions of the claims: signatures are checked before, in
``launch``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import FieldError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

LTI_VERSION = "1.3.0"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

# Roles that teach (context membership roles, and the institution's administrator); a
# learner is anyone with the Learner role and none of these.
_TEACHING = ("#Instructor", "#Administrator", "#ContentDeveloper", "#TeachingAssistant")
_LEARNING = ("#Learner",)


class LtiError(FieldError):
    """A launch refused: ``field`` names the parameter or claim at fault. Shown as a page."""

    def __init__(self, field: str, message: str, status_code: int = 400) -> None:
        super().__init__(field, message, status_code=status_code, kind="lti")


@dataclass(frozen=True)
class Launch:
    """What a verified id_token says, in the tool's terms."""

    platform_id: str
    message_type: str
    deployment_id: str
    sub: str
    role: str  # "instructor" or "learner"
    name: str | None
    resource_link_id: str | None = None
    resource_link_title: str | None = None
    context_title: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    lineitem_url: str | None = None
    score_scope: bool = False
    return_url: str | None = None  # deep linking
    dl_data: str | None = None
    email: str | None = None  # used to find the person's sign-on account; never stored


def role_of(roles: Any) -> str | None:
    """``instructor`` when any role teaches, ``learner`` when one is Learner, else None."""
    if not isinstance(roles, list):
        return None
    names = [r for r in roles if isinstance(r, str)]
    if any(r.endswith(t) or r.endswith(t.lstrip("#")) for r in names for t in _TEACHING):
        return "instructor"
    if any(r.endswith(t) for r in names for t in _LEARNING):
        return "learner"
    return None


def _object(claims: dict[str, Any], name: str) -> dict[str, Any]:
    """Claim ``name`` when it is a JSON object, else an empty one."""
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def _text(claims: dict[str, Any], name: str, label: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise LtiError(label, "is missing from the id_token")
    return value


def check_audience(claims: dict[str, Any], client_id: str) -> None:
    """``aud`` holds this tool's client id; with several audiences ``azp`` must be there; an
    ``azp`` present is this tool's client id (OIDC Core §3.1.3.7, steps 3–5)."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise LtiError("aud", "the id_token is not meant for this tool (its client id)", 401)
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise LtiError("azp", "the id_token has several audiences and no azp", 401)
    if azp is not None and azp != client_id:
        raise LtiError("azp", "the id_token was issued to another party (azp)", 401)


def check_times(claims: dict[str, Any], now: float, skew: float, max_age: float) -> None:
    """``exp`` is in the future and ``iat`` not (each within ``skew`` seconds), nor older than
    ``max_age``."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise LtiError("exp", "is missing from the id_token")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise LtiError("iat", "is missing from the id_token")
    if exp + skew < now:
        raise LtiError("exp", "the id_token has expired: start the launch again", 401)
    if iat - skew > now:
        raise LtiError("iat", "the id_token is issued in the future (check the clocks)", 401)
    if now - iat > max_age + skew:
        raise LtiError("iat", "the id_token is too old (lti_max_token_age_seconds)", 401)


def read_launch(
    claims: dict[str, Any], platform_id: str, deployments: list[str], store_names: bool
) -> Launch:
    """The LTI claims of a token whose signature, issuer, audience, times and nonce passed:
    version, message type, deployment, the user and role, the link or the deep-linking
    settings. ``LtiError`` naming the claim otherwise."""
    if claims.get(VERSION) != LTI_VERSION:
        raise LtiError("version", f"this tool speaks LTI {LTI_VERSION} only")
    kind = claims.get(MESSAGE_TYPE)
    if kind not in MESSAGE_TYPES:
        raise LtiError("message_type", f"must be one of {', '.join(MESSAGE_TYPES)}")
    deployment = _text(claims, DEPLOYMENT_ID, "deployment_id")
    if deployment not in deployments:
        raise LtiError(
            "deployment_id",
            "this deployment of the tool is not registered: an admin adds it "
            "(backprop-playground lti add-deployment)",
            403,
        )
    sub = _text(claims, "sub", "sub")
    role = role_of(claims.get(ROLES))
    if role is None:
        raise LtiError("roles", "neither a learner's nor an instructor's role", 403)
    name = None
    if store_names:
        name = claims.get("name") or " ".join(
            p for p in (claims.get("given_name"), claims.get("family_name")) if isinstance(p, str)
        )
        name = name if isinstance(name, str) and name.strip() else None
    context = _object(claims, CONTEXT)
    custom = claims.get(CUSTOM) if isinstance(claims.get(CUSTOM), dict) else {}
    common = dict(
        platform_id=platform_id,
        message_type=kind,
        deployment_id=deployment,
        sub=sub,
        role=role,
        name=name,
        context_title=context.get("title") if isinstance(context.get("title"), str) else None,
        custom=custom,
        email=claims.get("email") if isinstance(claims.get("email"), str) else None,
    )
    if kind == DEEP_LINKING_REQUEST:
        settings = _object(claims, DL_SETTINGS)
        url = settings.get("deep_link_return_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise LtiError("deep_linking_settings", "has no deep_link_return_url")
        if role != "instructor":
            raise LtiError("roles", "only an instructor adds the tool to a course", 403)
        data = settings.get("data")
        return Launch(**common, return_url=url, dl_data=data if isinstance(data, str) else None)
    link = _object(claims, RESOURCE_LINK)
    link_id = link.get("id")
    if not isinstance(link_id, str) or not link_id:
        raise LtiError("resource_link", "has no id")
    ags = _object(claims, AGS_ENDPOINT)
    lineitem = ags.get("lineitem")
    scope = ags.get("scope")
    scopes: list[Any] = scope if isinstance(scope, list) else []
    return Launch(
        **common,
        resource_link_id=link_id,
        resource_link_title=link.get("title") if isinstance(link.get("title"), str) else None,
        lineitem_url=lineitem if isinstance(lineitem, str) else None,
        score_scope=SCORE_SCOPE in scopes,
    )
