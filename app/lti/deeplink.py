"""Deep linking (LTI Deep Linking 2.0): an instructor adding the tool to a course picks one of
their lessons; the tool answers the platform with an ``LtiDeepLinkingResponse`` — a JWT signed
with the tool's key holding one ``ltiResourceLink`` content item (the launch URL, the lesson in
``custom``, a line item for its score) — posted by the browser to the platform's
``deep_link_return_url``.

Between the request and the choice, the page holds a short-lived ``choice`` token signed by
the tool itself (no cookie: the LMS frame may have none).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from app.classroom.rooms import Lesson
from app.lti.claims import (
    DEPLOYMENT_ID,
    DL_CONTENT_ITEMS,
    DL_DATA,
    LTI_VERSION,
    MESSAGE_TYPE,
    VERSION,
    Launch,
    LtiError,
)
from app.lti.keys import ToolKeys
from app.lti.platforms import Platform

RESPONSE = "LtiDeepLinkingResponse"
CHOICE_AUDIENCE = "bpp-deep-link-choice"
RESPONSE_SECONDS = 600


def choice_token(keys: ToolKeys, launch: Launch, teacher_id: str, seconds: float) -> str:
    """What the lesson picker's form carries back: the deep-linking request, signed by the
    tool, valid ``seconds``."""
    now = int(time.time())
    return keys.sign(
        {
            "aud": CHOICE_AUDIENCE,
            "iat": now,
            "exp": now + int(seconds),
            "platform_id": launch.platform_id,
            "deployment_id": launch.deployment_id,
            "teacher_id": teacher_id,
            "return_url": launch.return_url,
            "data": launch.dl_data,
        }
    )


def read_choice(keys: ToolKeys, token: str) -> dict[str, Any]:
    """The deep-linking request of a picker's form; ``LtiError`` naming ``choice``."""
    claims = keys.verify(token) if token and len(token) < 16 << 10 else None
    if claims is None or claims.get("aud") != CHOICE_AUDIENCE:
        raise LtiError("choice", "not a lesson picker of this tool: add the tool again", 401)
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        raise LtiError("choice", "the picker has expired: add the tool again", 401)
    return claims


def content_item(lesson: Lesson, launch_url: str) -> dict[str, Any]:
    """One ``ltiResourceLink``: the lesson, launched at the tool's launch URL, with a line item
    of maximum 1 (the score: the challenge met, 1 or 0)."""
    return {
        "type": "ltiResourceLink",
        "title": lesson.title,
        "url": launch_url,
        "custom": {"bpp_lesson_id": lesson.id},
        "lineItem": {"scoreMaximum": 1, "label": lesson.title, "resourceId": lesson.id},
    }


def response_token(
    keys: ToolKeys, platform: Platform, choice: dict[str, Any], items: list[dict[str, Any]]
) -> str:
    """The LtiDeepLinkingResponse JWT (Deep Linking 2.0 §4.2): iss is the tool's client id,
    aud the platform's issuer; ``data`` is returned as the platform sent it."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_SECONDS,
        "nonce": secrets.token_urlsafe(16),
        MESSAGE_TYPE: RESPONSE,
        VERSION: LTI_VERSION,
        DEPLOYMENT_ID: choice["deployment_id"],
        DL_CONTENT_ITEMS: items,
    }
    if choice.get("data"):
        claims[DL_DATA] = choice["data"]
    return keys.sign(claims)
