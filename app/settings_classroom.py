"""The settings of teaching (a part of ``Settings``, ``app/settings.py``): the classroom and
its activities, LTI 1.3 inside a university course, and teachers' single sign-on. Each field
is a ``BPP_*`` variable.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClassroomSettings(BaseModel):
    """The classroom, activities, LTI 1.3 and OpenID Connect."""

    # The classroom
    teacher_login_hours: float = Field(
        12.0, gt=0, description="How long a teacher's browser login (cookie) lasts."
    )
    bearer_token_days: float = Field(
        30.0, gt=0, description="How long a teacher's API bearer token lasts."
    )
    login_attempts_per_minute: int = Field(
        10,
        ge=1,
        description="Failed teacher logins allowed per minute per account name and client "
        "address together; beyond it, 429 for that name from that address until the minute is "
        "over (the right password from another address is never refused).",
    )
    login_attempts_per_minute_per_address: int = Field(
        30,
        ge=1,
        description="Failed teacher logins allowed per minute per client address, whatever the "
        "names (guessing many accounts' passwords); beyond it, 429 until the minute is over.",
    )
    login_name_slowdown_seconds: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Once an account name has had login_attempts_per_minute failures in a "
        "minute from all addresses together, every login for it waits this long before its "
        "password is checked: a slowdown, never a lockout.",
    )
    join_attempts_per_minute: int = Field(
        60,
        ge=1,
        description="Wrong join codes (or seat keys) allowed per minute per client address, so "
        "that codes cannot be guessed (6 characters of 20: 64 million codes); right ones never "
        "count, so a lecture hall behind one NAT address is stopped only by its typos.",
    )
    join_tries_in_flight: int = Field(
        250,
        ge=1,
        description="Joins under way at once from one client address (a full classroom typing "
        "the right code together passes); bounds a burst of guesses before the first wrong "
        "one is counted.",
    )
    max_seats_per_classroom: int = Field(
        250, ge=1, description="Students (seats) in one classroom: a first-year lecture."
    )
    max_classrooms_per_teacher: int = Field(
        200, ge=1, description="Classrooms (open or closed) one teacher may keep."
    )
    max_lessons_per_teacher: int = Field(200, ge=1, description="Lessons one teacher may keep.")
    max_lesson_instructions_chars: int = Field(
        20_000, ge=1, description="Characters of a lesson's instructions (Markdown)."
    )
    # activities (issue 18): a lesson in steps, with questions
    max_activity_steps: int = Field(40, ge=1, description="Steps of one lesson (activity).")
    max_answer_chars: int = Field(
        2000, ge=1, description="Characters of a student's free-text answer or prediction."
    )
    answer_batch: int = Field(
        64,
        ge=1,
        description="Answers arriving together read and recorded in one store transaction, "
        "at most (app.classroom.batching).",
    )
    snapshot_history_points: int = Field(
        200, ge=1, description="Loss-curve points of each projected snapshot (its tail)."
    )
    results_histogram_bins: int = Field(
        10, ge=1, le=100, description="Bins of a numeric question's histogram on the dashboard."
    )
    lesson_share_days: int = Field(
        30, ge=1, le=3650, description="Days a lesson's share link works (issue 18's library)."
    )
    max_lesson_share_links: int = Field(
        20, ge=1, description="Share links of one lesson that work at once (revoke to reset)."
    )
    public_url: str | None = Field(
        None,
        description="The address students type (e.g. http://192.168.1.20:8000), shown on the "
        "dashboard when the teacher's own browser uses a loopback address; the CLI sets it to "
        "the LAN address when it binds 0.0.0.0.",
    )

    # LTI 1.3 (app/lti): inside a university course
    lti_base_url: str | None = Field(
        None,
        description="The tool's address as the LMS reaches it (e.g. https://playground.uni."
        "example), used in the URLs the config page shows and the id_token's redirect; default: "
        "the address of each request.",
    )
    lti_login_seconds: float = Field(
        600.0, gt=0, description="How long an LTI login (its state and nonce) may take."
    )
    lti_clock_skew_seconds: float = Field(
        60.0, ge=0, le=600, description="Clock difference allowed on an id_token's exp and iat."
    )
    lti_max_token_age_seconds: float = Field(
        3600.0, gt=0, description="An id_token issued longer ago than this is refused."
    )
    lti_jwks_cache_seconds: float = Field(
        300.0, ge=0, description="How long a platform's public keys (JWKS) are kept."
    )
    lti_http_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="Timeout of each call to a platform (keys, token, score)."
    )
    lti_store_names: bool = Field(
        True,
        description="Keep the names the LMS shares (learners' seats show them); off: no name is "
        "stored and learners are 'Learner <number>'.",
    )
    lti_grade_attempts: int = Field(
        5, ge=1, le=50, description="Tries to post one score to the LMS before it is failed."
    )
    lti_grade_retry_seconds: float = Field(
        5.0,
        gt=0,
        description="Wait before the first retry of a score; each later retry waits twice as long.",
    )
    lti_grade_poll_seconds: float = Field(
        10.0, gt=0, description="How often met challenges are turned into scores and posted."
    )
    lti_platform_cache_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the registered platforms (their origins) and the tool's keys are "
        "read again (the CLI changes them from another process).",
    )

    # Teachers' single sign-on: OpenID Connect (app/sso)
    oidc_discovery_url: str | None = Field(
        None,
        description="The institution's OpenID Connect provider, by its discovery document "
        "(https://idp.example/.well-known/openid-configuration); unset: no single sign-on.",
    )
    oidc_client_id: str | None = Field(None, description="This server's client id there.")
    oidc_client_secret: str | None = Field(
        None, description="Its client secret (client_secret_basic); unset: a public client."
    )
    oidc_scopes: str = Field("openid email profile", description="Scopes asked for at login.")
    oidc_allowed_domains: str = Field(
        "",
        description="E-mail domains (comma-separated, e.g. uni.example) whose verified "
        "addresses may sign in as teachers.",
    )
    oidc_allowed_emails: str = Field(
        "", description="Single verified e-mail addresses (comma-separated) allowed as well."
    )
    oidc_label: str = Field(
        "your institution", max_length=80, description="Shown as 'Sign in with …'."
    )
