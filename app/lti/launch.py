"""An LTI launch (the platform's form post of ``id_token`` and ``state``) checked in full and
read into a ``Launch`` (Security Framework §5.1.3):

1. ``state`` is a login of this tool, in time, and the browser's own (its cookie); it is used
   up here, so the same post never works twice;
2. the id_token is signed RS256 by a key of the platform's JWKS (joserfc verifies);
3. ``nonce`` has never been used, and is the login's;
4. ``iss`` is the platform's, ``aud``/``azp`` this tool's client id, ``exp``/``iat`` in time;
5. the LTI claims (``claims.read_launch``): version, message type, deployment, user, role.

Every failure is an ``LtiError`` naming the parameter or claim; nothing here logs anyone in.
Synchronous (the key fetch is HTTP): the route calls ``verify`` in a thread.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from app.lti.claims import Launch, LtiError, check_audience, check_times, read_launch
from app.lti.jwks import PlatformKeys
from app.lti.oidc import Logins
from app.lti.platforms import Platforms
from app.settings import Settings
from app.store import Store
from app.store.models import lti_nonces

MAX_TOKEN = 16 << 10


class NoStateCookie(Exception):
    """The browser did not bring the login's cookie back (third-party cookies blocked in the
    LMS's frame): the login is offered again in a new tab. ``login`` holds its parameters."""

    def __init__(self, login: dict[str, Any]) -> None:
        super().__init__("no state cookie")
        self.login = login


class Launcher:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        platforms: Platforms,
        logins: Logins,
        keys: PlatformKeys,
    ) -> None:
        self.store = store
        self.settings = settings
        self.platforms = platforms
        self.logins = logins
        self.keys = keys

    def verify(self, id_token: str, state: str, cookie: str | None) -> Launch:
        """The launch the post carries, checked in full; ``LtiError`` (or ``NoStateCookie``)."""
        if not state:
            raise LtiError("state", "is missing from the launch")
        if not id_token:
            raise LtiError("id_token", "is missing from the launch")
        if len(id_token) > MAX_TOKEN:
            raise LtiError("id_token", f"is longer than {MAX_TOKEN} bytes")
        if not cookie:
            login = self.logins.peek(state)
            if login is None:
                raise LtiError("state", "unknown, expired or used: start the launch again", 401)
            raise NoStateCookie(login.login)
        if cookie != state:
            raise LtiError("state", "does not match this browser's login: start again", 401)
        login = self.logins.consume(state)
        if login is None:
            raise LtiError("state", "unknown, expired or used: start the launch again", 401)
        platform = self.platforms.get(login.platform_id)
        if platform is None:
            raise LtiError("iss", "the platform of this login is no longer registered", 403)
        claims = self._signed_claims(id_token, platform.jwks_url)
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise LtiError("nonce", "is missing from the id_token", 401)
        self._use_nonce(platform.id, nonce)
        if nonce != login.nonce:
            raise LtiError("nonce", "is not this login's nonce", 401)
        if claims.get("iss") != platform.issuer:
            raise LtiError("iss", "the id_token's issuer is not this login's platform", 401)
        check_audience(claims, platform.client_id)
        s = self.settings
        check_times(claims, time.time(), s.lti_clock_skew_seconds, s.lti_max_token_age_seconds)
        return read_launch(claims, platform.id, platform.deployment_ids, s.lti_store_names)

    def _signed_claims(self, token: str, jwks_url: str) -> dict[str, Any]:
        try:
            header = extract_compact(token.encode()).protected
        except (JoseError, ValueError, UnicodeError):
            raise LtiError("id_token", "is not a JWT (three base64url parts)", 401) from None
        if header.get("alg") != "RS256":
            raise LtiError("id_token", "must be signed RS256 (LTI Security Framework)", 401)
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        keys = self.keys.key_set(jwks_url, kid)
        try:
            return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)
        except (JoseError, ValueError) as exc:
            raise LtiError(
                "id_token", f"its signature does not verify with the platform's keys ({exc})", 401
            ) from None

    def _use_nonce(self, platform_id: str, nonce: str) -> None:
        """Record ``nonce`` as used; ``LtiError`` when it was (a replayed token). Kept until
        any token carrying it would be too old anyway."""
        if len(nonce) > 128:
            raise LtiError("nonce", "is longer than 128 characters", 401)
        now = datetime.now(UTC)
        keep = self.settings.lti_max_token_age_seconds + 2 * self.settings.lti_clock_skew_seconds
        try:
            with self.store.transaction() as conn:
                conn.execute(delete(lti_nonces).where(lti_nonces.c.expires_at < now))
                conn.execute(
                    insert(lti_nonces).values(
                        platform_id=platform_id,
                        nonce=nonce,
                        expires_at=now + timedelta(seconds=keep),
                    )
                )
        except IntegrityError:
            raise LtiError("nonce", "was used already: a replayed launch", 401) from None
