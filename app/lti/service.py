"""The LTI objects made once per app (``app.state.lti``), the registered platforms' origins
(what may frame the tool's classroom pages), and the background work: scores due (a met
challenge, a finished activity: ``app.lti.scores``) recorded and posted every
``lti_grade_poll_seconds``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from app.classroom.rooms import Rooms
from app.lti.ags import AgsClient, GradeBook, post_one
from app.lti.jwks import PlatformKeys
from app.lti.keys import ToolKeys
from app.lti.launch import Launcher
from app.lti.links import Link, Links
from app.lti.oidc import Logins
from app.lti.platforms import Platforms
from app.lti.scores import activity_score, challenge_score, scored_steps
from app.settings import Settings
from app.store.answers import Answers

log = logging.getLogger(__name__)

# Paths whose answers the registered platforms may frame (and post forms from): the LTI
# endpoints and the classroom pages a launch lands on. The playground itself is never framed.
FRAMED_PREFIXES = ("/lti/", "/classrooms/")
# The platform posts to these from its own site: the signed id_token is the proof, not Origin.
CROSS_SITE_POSTS = frozenset({"/lti/login", "/lti/launch"})


class LtiService:
    def __init__(self, app: Any) -> None:
        s: Settings = app.state.settings
        store = app.state.store
        self.settings = s
        self.platforms = Platforms(store)
        self.keys = ToolKeys(store)
        self.platform_keys = PlatformKeys(s.lti_jwks_cache_seconds, s.lti_http_timeout_seconds)
        self.logins = Logins(store, self.platforms, s.lti_login_seconds)
        self.launcher = Launcher(store, s, self.platforms, self.logins, self.platform_keys)
        self.rooms = Rooms(store, s)
        self.links = Links(store, self.rooms)
        self.grades = GradeBook(store, s)
        self.answers = Answers(store)
        self.ags = AgsClient(self.keys, s.lti_http_timeout_seconds)
        self.origins: tuple[str, ...] = ()
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._posting = asyncio.Lock()  # one poster at a time: a score is never sent twice
        self.teaching: Any = None  # the classroom's Teaching, set by the routes' install

    # ---- framing -----------------------------------------------------------------------------

    def read_origins(self) -> tuple[str, ...]:
        """Read the registered platforms' origins again (and the tool's keys: another process
        — the CLI — may have registered a platform or rotated a key)."""
        self.keys.forget()
        self.origins = tuple(dict.fromkeys(o for p in self.platforms.all() for o in p.origins()))
        return self.origins

    def framing(self, path: str) -> tuple[str, ...]:
        """The origins that may frame the answer to ``path`` (none: not an LTI page)."""
        return self.origins if path.startswith(FRAMED_PREFIXES) else ()

    # ---- background ---------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self.read_origins)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        """Post what is due now (after a teacher's "post grades")."""
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_origins = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.lti_grade_poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            try:
                if loop.time() >= next_origins:
                    next_origins = loop.time() + self.settings.lti_platform_cache_seconds
                    await asyncio.to_thread(self.read_origins)
                await self.record_met_challenges()
                await self.post_due()
            except Exception:  # keep posting later; one bad round must not end the loop
                log.exception("LTI grade posting failed")

    async def record_met_challenges(self) -> int:
        """Learners of LTI classrooms whose score is due get it recorded to post: a met
        challenge (1), a finished activity (the fraction right; ``app.lti.scores``)."""
        if self.teaching is None:
            return 0
        links = await asyncio.to_thread(self.links.all_links)
        recorded = 0
        for link in links:
            room = await asyncio.to_thread(self.rooms.classroom, link.classroom_id)
            if room is None or not (room.challenge or scored_steps(room)):
                continue
            if room.challenge and room.challenge_active and room.open:
                await self.teaching.progress(room)  # records newly met challenges on seats
            recorded += await asyncio.to_thread(self._record, link, only_due=True)
        return recorded

    def _record(self, link: Link, only_due: bool) -> int:
        """Scores of the link's learners (``app.lti.scores``): the fraction of an activity's
        scored questions answered right, or 1/0 for the challenge; ``only_due``: only those
        finished (the activity's last scored step done, a challenge met). Returns how many
        changed."""
        room = self.rooms.classroom(link.classroom_id)
        if room is None:
            return 0
        activity = bool(scored_steps(room))
        changed = 0
        for user, seat in self.links.learners(link):
            score = (
                activity_score(room, self.answers.of_seat(seat.id))
                if activity
                else challenge_score(seat.challenge_met)
            )
            if score is None or (only_due and not score.finished):
                continue
            changed += self.grades.set_score(link.id, user.id, score.value)
        return changed

    async def post_grades(self, link: Link) -> int:
        """The teacher's "post grades": every learner's score recorded (``post_due`` posts
        them). Returns how many changed."""
        return await asyncio.to_thread(self._record, link, only_due=False)

    async def post_due(self) -> dict[str, int]:
        """Post every due score (in a thread: HTTP). Returns the count per new status."""
        counts: dict[str, int] = {}
        async with self._posting:
            due = await asyncio.to_thread(self.grades.due)
            for item in due:
                platform = await asyncio.to_thread(self.platforms.get, item.platform_id)
                status = await asyncio.to_thread(post_one, self.ags, self.grades, platform, item)
                counts[status] = counts.get(status, 0) + 1
        return counts
