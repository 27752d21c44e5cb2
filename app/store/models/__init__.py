"""The store's tables, one module per area, all on one ``Base`` (``base``): the sessions and
their checkpoints (``sessions``), teachers' accounts (``accounts``), lessons, classrooms and
seats (``classroom``), activities' answers and snapshots (``activities``), LTI 1.3 (``lti``)
and the lesson library (``library``). Every model and table is exported here, so that
``from app.store.models import X`` and Alembic's ``Base.metadata`` see them all.

The same schema serves SQLite and PostgreSQL; a change to it is a new migration in
``migrations/versions``.
"""

from app.store.models.accounts import (
    SsoUserRow,
    TeacherRow,
    TokenRow,
    auth_tokens,
    sso_users,
    teachers,
)
from app.store.models.activities import AnswerRow, SnapshotsRow, answers, classroom_snapshots
from app.store.models.base import NAMING, Base, UTCDateTime, core_table
from app.store.models.classroom import ClassroomRow, LessonRow, SeatRow, classrooms, lessons, seats
from app.store.models.library import LessonShareRow, lesson_shares
from app.store.models.lti import (
    LtiGradeRow,
    LtiLinkRow,
    LtiNonceRow,
    LtiPlatformRow,
    LtiSeatRow,
    LtiStateRow,
    LtiToolKeyRow,
    LtiUserRow,
    lti_grades,
    lti_links,
    lti_nonces,
    lti_platforms,
    lti_seats,
    lti_states,
    lti_tool_keys,
    lti_users,
)
from app.store.models.sessions import CheckpointRow, SessionRow, checkpoints, sessions

__all__ = [
    "NAMING",
    "AnswerRow",
    "Base",
    "CheckpointRow",
    "ClassroomRow",
    "LessonRow",
    "LessonShareRow",
    "LtiGradeRow",
    "LtiLinkRow",
    "LtiNonceRow",
    "LtiPlatformRow",
    "LtiSeatRow",
    "LtiStateRow",
    "LtiToolKeyRow",
    "LtiUserRow",
    "SeatRow",
    "SessionRow",
    "SnapshotsRow",
    "SsoUserRow",
    "TeacherRow",
    "TokenRow",
    "UTCDateTime",
    "answers",
    "auth_tokens",
    "checkpoints",
    "classroom_snapshots",
    "classrooms",
    "core_table",
    "lesson_shares",
    "lessons",
    "lti_grades",
    "lti_links",
    "lti_nonces",
    "lti_platforms",
    "lti_seats",
    "lti_states",
    "lti_tool_keys",
    "lti_users",
    "seats",
    "sessions",
    "sso_users",
    "teachers",
]
