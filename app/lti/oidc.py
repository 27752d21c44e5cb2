"""The OIDC third-party login that starts every LTI 1.3 launch (Security Framework §5.1.1):
the platform sends the browser to ``/lti/login`` (iss, login_hint, target_link_uri...); the
tool answers with a redirect to the platform's auth URL carrying a fresh ``state`` and
``nonce``. ``state`` is kept by the browser (a cookie) and by the store (its SHA-256, with the
nonce and the login's parameters); the launch must bring both back once, in time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import delete, insert, select

from app.classroom.tokens import digest
from app.lti.claims import LtiError
from app.lti.platforms import Platform, Platforms
from app.store import Store
from app.store.models import lti_states

STATE_COOKIE = "bpp_lti_state_"
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)
MAX_PARAM = 2048


def state_cookie(state: str) -> str:
    """The cookie holding ``state``: one per login, so that two launches in flight in one
    browser (two tool links on one course page) do not overwrite each other's."""
    return STATE_COOKIE + digest(state)[:16]


@dataclass(frozen=True)
class LoginState:
    platform_id: str
    nonce: str
    login: dict[str, Any]


class Logins:
    def __init__(self, store: Store, platforms: Platforms, seconds: float) -> None:
        self.store = store
        self.platforms = platforms
        self.seconds = seconds

    def begin(self, params: dict[str, str], redirect_uri: str) -> tuple[str, str]:
        """Check a login initiation and record it: returns (the platform's auth URL with the
        authentication request, the state for the browser's cookie)."""
        login = {k: params[k] for k in LOGIN_PARAMS if params.get(k)}
        for name in ("iss", "login_hint", "target_link_uri"):
            if name not in login:
                raise LtiError(name, "is missing from the login request")
        for name, value in login.items():
            if len(value) > MAX_PARAM:
                raise LtiError(name, f"is longer than {MAX_PARAM} characters")
        platform = self.platforms.find(login["iss"], login.get("client_id"))
        if platform is None:
            raise LtiError(
                "iss",
                "this platform (issuer and client id) is not registered with the tool: an "
                "admin registers it (backprop-playground lti add-platform)",
                403,
            )
        deployment = login.get("lti_deployment_id")
        if deployment and deployment not in platform.deployment_ids:
            raise LtiError("lti_deployment_id", "this deployment is not registered", 403)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.store.transaction() as conn:
            conn.execute(delete(lti_states).where(lti_states.c.expires_at < now))
            conn.execute(
                insert(lti_states).values(
                    state_hash=digest(state),
                    platform_id=platform.id,
                    nonce=nonce,
                    login=login,
                    expires_at=now + timedelta(seconds=self.seconds),
                )
            )
        return self.auth_request(platform, login, redirect_uri, state, nonce), state

    @staticmethod
    def auth_request(
        platform: Platform, login: dict[str, Any], redirect_uri: str, state: str, nonce: str
    ) -> str:
        """The OIDC authentication request (implicit flow, form_post, prompt=none)."""
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": redirect_uri,
            "login_hint": login["login_hint"],
            "state": state,
            "nonce": nonce,
        }
        if login.get("lti_message_hint"):
            query["lti_message_hint"] = login["lti_message_hint"]
        sep = "&" if "?" in platform.auth_url else "?"
        return platform.auth_url + sep + urlencode(query)

    def peek(self, state: str) -> LoginState | None:
        """The login of ``state`` while it is in time (not consumed)."""
        if not state or len(state) > 256:
            return None
        with self.store.reading() as conn:
            row = conn.execute(
                select(lti_states).where(
                    lti_states.c.state_hash == digest(state),
                    lti_states.c.expires_at > datetime.now(UTC),
                )
            ).first()
        return LoginState(row.platform_id, row.nonce, row.login) if row else None

    def consume(self, state: str) -> LoginState | None:
        """The login of ``state``, used up: a second launch with it finds nothing."""
        found = self.peek(state)
        if found is None:
            return None
        with self.store.transaction() as conn:
            gone = conn.execute(delete(lti_states).where(lti_states.c.state_hash == digest(state)))
        return found if gone.rowcount == 1 else None
