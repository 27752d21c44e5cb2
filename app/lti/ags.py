"""Assignment and Grade Services 2.0: a learner's score posted to the line item of their
link, with the OAuth 2 client-credentials grant and a JWT client assertion (RFC 7523; LTI
Security Framework §4.1).

A score (in [0, 1]: the challenge met is 1, not met 0) is first recorded as ``pending`` in the
store; the poster posts it, and retries a failure (network, 5xx, 429) after
``lti_grade_retry_seconds`` × 2^(attempt−1) until ``lti_grade_attempts`` tries, when it is
``failed`` with the reason. A score equal to the one posted is not posted again (idempotent:
the teacher's "post grades" twice sends nothing new). Synchronous HTTP (httpx): the poster
calls it in a thread.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import insert, select, update

from app.lti.claims import SCORE_SCOPE
from app.lti.keys import ToolKeys
from app.lti.platforms import Platform
from app.settings import Settings
from app.store import Store
from app.store.models import lti_grades, lti_links, lti_users

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
TOKEN_MARGIN = 30.0  # seconds before its expiry an access token is fetched anew


class PostError(Exception):
    """A score not posted; ``retry``: worth trying again later."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def scores_url(lineitem: str) -> str:
    """``…/lineitems/7?type=x`` → ``…/lineitems/7/scores?type=x`` (AGS §3.4)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _failure(what: str, response: httpx.Response) -> PostError:
    retry = response.status_code >= 500 or response.status_code in (408, 429)
    return PostError(f"{what}: HTTP {response.status_code} {response.text[:200]}", retry)


class AgsClient:
    """Access tokens (cached until shortly before they expire) and score posts."""

    def __init__(self, keys: ToolKeys, timeout: float) -> None:
        self.keys = keys
        self.timeout = timeout
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, str]] = {}

    def assertion(self, platform: Platform) -> str:
        """The client assertion: iss = sub = the tool's client id, aud = the token URL."""
        now = int(time.time())
        return self.keys.sign(
            {
                "iss": platform.client_id,
                "sub": platform.client_id,
                "aud": platform.token_url,
                "iat": now,
                "exp": now + 300,
                "jti": secrets.token_urlsafe(16),
            }
        )

    def token(self, platform: Platform) -> str:
        with self._lock:
            kept = self._tokens.get(platform.id)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        try:
            response = httpx.post(
                platform.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self.assertion(platform),
                    "scope": SCORE_SCOPE,
                },
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise PostError(f"token endpoint unreachable: {type(exc).__name__}", True) from None
        if response.status_code != 200:
            raise _failure("token endpoint", response)
        try:
            body = response.json()
            token = body["access_token"]
            life = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise PostError("token endpoint: no access_token in its answer", True) from None
        with self._lock:
            self._tokens[platform.id] = (time.monotonic() + max(0.0, life - TOKEN_MARGIN), token)
        return token

    def post_score(self, platform: Platform, lineitem: str, sub: str, score: float) -> None:
        body = {
            "userId": sub,
            "scoreGiven": score,
            "scoreMaximum": 1,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        token = self.token(platform)
        try:
            response = httpx.post(
                scores_url(lineitem),
                json=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise PostError(f"score endpoint unreachable: {type(exc).__name__}", True) from None
        if response.status_code == 401:
            with self._lock:  # the token may have been revoked: fetch a new one next time
                self._tokens.pop(platform.id, None)
        if not 200 <= response.status_code < 300:
            raise _failure("score endpoint", response)


@dataclass(frozen=True)
class Due:
    link_id: str
    user_id: str
    platform_id: str
    lineitem_url: str | None
    sub: str
    score: float
    attempts: int


class GradeBook:
    """The scores of learners on links, and where posting each stands."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def set_score(self, link_id: str, user_id: str, score: float) -> bool:
        """Record a score to post; False (nothing to do) when it is the one posted or
        pending already."""
        now = datetime.now(UTC)
        with self.store.transaction() as conn:
            row = conn.execute(
                select(lti_grades).where(
                    lti_grades.c.link_id == link_id, lti_grades.c.user_id == user_id
                )
            ).first()
            fresh = dict(score=score, status="pending", attempts=0, error=None, next_try_at=now)
            if row is None:
                conn.execute(
                    insert(lti_grades).values(
                        link_id=link_id, user_id=user_id, posted_score=None, updated_at=now, **fresh
                    )
                )
                return True
            if row.status == "posted" and row.posted_score == score:
                return False
            if row.status == "pending" and row.score == score:
                return False
            conn.execute(
                update(lti_grades)
                .where(lti_grades.c.link_id == link_id, lti_grades.c.user_id == user_id)
                .values(updated_at=now, **fresh)
            )
        return True

    def due(self, limit: int = 100) -> list[Due]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(
                    lti_grades.c.link_id,
                    lti_grades.c.user_id,
                    lti_links.c.platform_id,
                    lti_links.c.lineitem_url,
                    lti_users.c.sub,
                    lti_grades.c.score,
                    lti_grades.c.attempts,
                )
                .join(lti_links, lti_links.c.id == lti_grades.c.link_id)
                .join(lti_users, lti_users.c.id == lti_grades.c.user_id)
                .where(
                    lti_grades.c.status == "pending",
                    lti_grades.c.next_try_at <= datetime.now(UTC),
                )
                .limit(limit)
            ).all()
        return [Due(*r) for r in rows]

    def _mark(self, due: Due, **values: Any) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                update(lti_grades)
                .where(
                    lti_grades.c.link_id == due.link_id,
                    lti_grades.c.user_id == due.user_id,
                    lti_grades.c.score == due.score,  # not a newer score recorded meanwhile
                    lti_grades.c.status == "pending",
                )
                .values(updated_at=datetime.now(UTC), **values)
            )

    def posted(self, due: Due) -> None:
        self._mark(
            due, status="posted", posted_score=due.score, attempts=due.attempts + 1, error=None
        )

    def failed(self, due: Due, error: str, retry: bool) -> None:
        """A failed try: pending again after the back-off, or failed for good."""
        attempts = due.attempts + 1
        s = self.settings
        if retry and attempts < s.lti_grade_attempts:
            wait = s.lti_grade_retry_seconds * 2 ** (attempts - 1)
            self._mark(
                due,
                attempts=attempts,
                error=error[:1024],
                next_try_at=datetime.now(UTC) + timedelta(seconds=wait),
            )
        else:
            self._mark(due, status="failed", attempts=attempts, error=error[:1024])

    def of_link(self, link_id: str) -> dict[str, dict[str, Any]]:
        """Each learner's (by LMS user id) score and where posting it stands."""
        with self.store.reading() as conn:
            rows = conn.execute(select(lti_grades).where(lti_grades.c.link_id == link_id)).all()
        return {
            r.user_id: {
                "score": r.score,
                "posted_score": r.posted_score,
                "status": r.status,
                "attempts": r.attempts,
                "error": r.error,
                "updated_at": r.updated_at.isoformat(),
            }
            for r in rows
        }


def post_one(client: AgsClient, book: GradeBook, platform: Platform | None, due: Due) -> str:
    """Try to post one due score; returns its new status."""
    if platform is None:
        book.failed(due, "the platform is no longer registered", retry=False)
        return "failed"
    if not due.lineitem_url:
        book.failed(
            due,
            "the LMS sent no line item for this link: add the tool as a graded activity "
            "(deep linking makes one)",
            retry=False,
        )
        return "failed"
    try:
        client.post_score(platform, due.lineitem_url, due.sub, due.score)
    except PostError as exc:
        book.failed(due, str(exc), exc.retry)
        return "failed" if not exc.retry else "pending"
    book.posted(due)
    return "posted"
