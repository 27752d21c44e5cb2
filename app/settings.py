"""Every knob and limit of the server, in one validated object.

Values come from the environment with the prefix ``BPP_`` (for example
``BPP_MAX_SESSIONS=50``); the defaults suit one laptop or a small classroom.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.training import MAX_REGULARIZATION_RATE


class Settings(BaseSettings):
    """Server settings and the hard limits that keep one client from exhausting the host."""

    model_config = SettingsConfigDict(env_prefix="BPP_", extra="ignore")

    # Network shape
    max_hidden_layers: int = Field(8, ge=0, description="Hidden layers per network.")
    max_units_per_layer: int = Field(32, ge=1, description="Units in any hidden layer.")
    max_input_width: int = Field(64, ge=1, description="Input units (features) per network.")
    max_outputs: int = Field(16, ge=1, description="Output units per network.")
    # Data
    max_samples: int = Field(5000, ge=4, description="Samples per dataset (train + test).")
    max_noise: float = Field(1.0, ge=0, description="Largest dataset noise level.")
    max_abs_value: float = Field(1e6, gt=0, description="Largest |number| in inputs/weights.")
    # Training
    max_epochs_per_request: int = Field(10_000, ge=1, description="Epochs per train/step call.")
    max_train_work: int = Field(
        750_000_000,
        ge=1,
        description="Largest work of one train/step call: epochs × (training samples × "
        "parameters + 600 × layers × (batches + 4)); about 10 s on one core at the default.",
    )
    max_sync_train_work: int = Field(
        60_000_000,
        ge=0,
        description="Largest work of a train request answered when it is done (about 1–2 s "
        "on one core; work as in max_train_work); a longer one runs as a job: 202 and a job "
        "URL with its progress, result and cancel. 0: every train request is a job.",
    )
    max_jobs_per_session: int = Field(
        4,
        ge=1,
        description="Training jobs one session holds: unfinished ones beyond this are refused "
        "(429), finished ones beyond it forgotten, oldest first.",
    )
    job_weight: float = Field(
        0.1,
        gt=0,
        le=1,
        description="A running job's weight in a trainer's fair shares against a playing "
        "session (1): another client's playing session keeps 1 / (1 + job_weight) of the "
        "trainer beside any number of jobs (0.91 at 0.1); jobs alone still use all of it.",
    )
    share_interval: float = Field(
        0.2,
        ge=0,
        le=10,
        description="Seconds between a trainer's reports of the heaviest weight it trains "
        "(1 playing, job_weight for jobs only) to the web process, which tells the other "
        "trainers: a trainer with only jobs then trains job_weight / (1 + job_weight) of the "
        "time while a session plays on another one, so jobs do not take the cores a playing "
        "session needs (app.trainer.elsewhere). 0: each trainer shares only its own time.",
    )
    max_learning_rate: float = Field(100.0, gt=0, description="Largest learning rate η.")
    max_regularization_rate: float = Field(
        MAX_REGULARIZATION_RATE,
        ge=0,
        le=MAX_REGULARIZATION_RATE,
        description="Largest L1/L2 rate (at most the engine's own bound).",
    )
    gradient_check_samples: int = Field(64, ge=1, description="Default gradient-check batch.")
    max_gradient_check_work: int = Field(
        1_000_000, ge=1, description="Largest samples × parameters of one gradient check."
    )
    max_predict_inputs: int = Field(1000, ge=1, description="Rows per predict/backprop call.")
    # Sessions
    max_sessions: int = Field(
        400,
        ge=1,
        description="Sessions held by the server in total: a full classroom (250 seats) with "
        "headroom for the teacher's, comparisons and visitors.",
    )
    max_sessions_per_client: int = Field(20, ge=1, description="Sessions per client address.")
    max_memory_mb: int = Field(
        2048,
        ge=16,
        description="Memory the server's sessions may take together, as estimated from each "
        "session's samples, units and parameters (an upper bound); a session beyond it is "
        "refused with 429 naming this limit.",
    )
    max_memory_mb_per_client: int = Field(
        512, ge=16, description="Memory the sessions of one client address may take (as above)."
    )
    sweep_interval_seconds: float = Field(
        30.0, gt=0, description="How often idle sessions are evicted and unused ones deleted."
    )
    unwatched_pause_seconds: float = Field(
        120.0,
        gt=0,
        description="A playing session nobody has watched for this long (a closed tab) is "
        "paused by the sweep; a short network blip pauses nothing.",
    )
    max_history_points: int = Field(4000, ge=16, description="Loss-curve points kept.")
    max_csv_bytes: int = Field(
        512 << 10, ge=64, description="Largest CSV file a user may upload (POST /api/csv)."
    )
    max_csv_rows: int = Field(5000, ge=4, description="Rows of numbers in an uploaded CSV.")
    max_csv_columns: int = Field(32, ge=2, description="Columns in an uploaded CSV.")
    max_replay_bytes: int = Field(
        2 << 20,
        ge=0,
        description="Memory per session for replay checkpoints (copies of W and b, thinned to "
        "evenly spaced epochs when full).",
    )
    max_replay_checkpoint_bytes: int = Field(
        128 << 10,
        ge=0,
        description="Weights of replay checkpoints saved with a session (so that replay survives "
        "eviction, a restart and a kill -9), thinned to evenly spaced epochs to fit; stored as "
        "base64, about 4/3 of this in the store.",
    )
    max_gradient_flow_points: int = Field(
        200,
        ge=16,
        description="Epochs of the gradient-flow chart kept per session (each layer's mean |δ| "
        "and |∂E/∂w|); thinned like the loss curve, each point one backward pass over the "
        "training set.",
    )
    # Transport
    max_body_bytes: int = Field(1 << 20, ge=1024, description="Largest HTTP request body.")
    max_ws_message_bytes: int = Field(64 << 10, ge=256, description="Largest WebSocket message.")
    max_viewers_per_session: int = Field(50, ge=1, description="WebSockets per session.")
    max_head_bytes: int = Field(
        16 << 10,
        ge=1024,
        description="Largest HTTP request head (request line and headers); a bigger one gets "
        "400 and the connection is closed.",
    )
    head_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A connection must send a complete request head within this long of "
        "connecting or of its previous answer, or it is closed (slow and idle clients).",
    )
    keep_alive_seconds: int = Field(
        5, ge=1, description="An idle keep-alive connection is closed after this long."
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="A request body must arrive within this long of its head, or 408.",
    )
    max_connections: int = Field(
        800,
        ge=8,
        description="Open connections (HTTP and WebSocket) at once; one more closes the one "
        "idle longest, or itself when none is idle. Keep it under the open-files limit.",
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Proxies (comma-separated addresses, or *) whose X-Forwarded-For and "
        "X-Forwarded-Proto are trusted for the client's address; default none, so a client "
        "cannot pose as many to get round the per-client limits.",
    )
    allowed_origins: str = Field(
        "",
        description="Other origins (comma-separated, e.g. https://lms.school.example) whose "
        "pages may change sessions or open sockets; the server's own origin always may.",
    )
    max_watch_ids: int = Field(
        500, ge=1, description="Sessions one dashboard socket may watch at once."
    )
    # Streaming
    frame_rate: float = Field(
        60.0,
        gt=0,
        le=240,
        description="Frames per second per session, at most: what one student alone gets (the "
        "page draws at the display's rate).",
    )
    adaptive_frame_rate: bool = Field(
        True,
        description="Lower every watched session's frame rate evenly when a trainer's frames "
        "would take more than frame_time_share of it (never below min_frame_rate); off: "
        "frame_rate always (app/trainer/rate.py).",
    )
    class_frame_rate: float = Field(
        36.0,
        gt=0,
        le=240,
        description="Frames per second per session, at most, while a trainer frames more than "
        "solo_sessions sessions (a class): a class's cores go to training rather than to frames "
        "beyond what a room tells apart (36 decided is about 31 delivered: a chunk ends after "
        "the epoch that crosses its budget); a student alone still gets frame_rate.",
    )
    solo_sessions: int = Field(
        4,
        ge=1,
        description="Up to this many watched sessions on a trainer get frame_rate; more are a "
        "class, capped at class_frame_rate.",
    )
    min_frame_rate: float = Field(
        15.0,
        gt=0,
        le=240,
        description="The adaptive frame rate never goes below this (frames per second).",
    )
    frame_time_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Share of a trainer's time its frames (making and sending them) may take "
        "before the adaptive frame rate lowers every watched session's rate; below one half "
        "because the web process spends about as much again per frame on its fan-out (0.3: 200 "
        "students of the default network on 2 cores get about 21 frames/s and 65 epochs/s).",
    )
    grid_resolution: int = Field(24, ge=4, le=128, description="Heatmap cells per side.")
    trainers: int | None = Field(
        None,
        ge=0,
        le=64,
        description="Trainer processes beside the web process (default: one per core). 0 "
        "trains in the web process, in one thread (tests, tiny hosts).",
    )
    summary_rate: float = Field(
        2.0, gt=0, le=30, description="Summary messages per second per session (dashboards)."
    )
    panel_rate: float = Field(
        1.0,
        gt=0,
        le=30,
        description="Pushes per second, while a session trains, of its page's panels on the "
        "stream (gradient flow, confusion matrix, replay range); the full loss history is "
        "pushed when training stops.",
    )
    frame_grid_every: int = Field(
        2,
        ge=1,
        le=60,
        description="In a large class (frame_grid_class_size), a running session's binary "
        "frames carry its heatmap grid and node statistics only every n-th frame; the ones "
        "between say 'keep the last' (docs/contract.md, binary frames). 1: every frame.",
    )
    frame_grid_class_size: int = Field(
        100,
        ge=1,
        description="Same-shaped sessions a trainer sends frames for at once from which "
        "frame_grid_every applies.",
    )
    summary_resolution: int = Field(
        16, ge=4, le=64, description="Cells per side of a summary's decision-boundary thumbnail."
    )
    viewer_stall_seconds: float = Field(
        10.0,
        gt=0,
        description="A viewer that has not taken a waiting message for this long no longer "
        "counts as watching (it keeps no session alive or playing).",
    )
    ws_compression: bool = Field(
        False,
        description="Offer permessage-deflate on WebSockets: about 2× smaller frames for about "
        "a seventh of the server's CPU under load; worth it only on slow links.",
    )
    # More than one host
    bus_url: str | None = Field(
        None,
        description="redis://… joins web processes and trainers on several hosts through Redis "
        "(default: none; one process tree on one machine).",
    )
    role: Literal["all", "web", "trainer"] = Field(
        "all",
        description="What this process runs (set by the CLI): all = web + trainers, web, trainer.",
    )
    heartbeat_seconds: float = Field(
        1.0, gt=0, le=10, description="How often a trainer on the bus says it is alive."
    )
    takeover_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="A trainer silent this long is taken for dead: others take over its sessions "
        "from their last checkpoints.",
    )
    # Store
    data_dir: str = Field(
        "./data",
        min_length=1,
        description="Folder of the SQLite database (created on first start). Never on a network "
        "file system.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the session store, e.g. postgresql+psycopg://user:pw@host/"
        "db (default: sqlite:///{data_dir}/playground.db).",
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description="SQLite's PRAGMA synchronous (WAL): NORMAL survives a crash of the server; "
        "FULL also the last commits on a power cut, at one fsync per write.",
    )
    checkpoint_seconds: float = Field(
        5.0, gt=0, description="How often a changed session's state is queued for the store."
    )
    evict_after_seconds: float = Field(
        300.0,
        gt=0,
        description="Idle time after which a session leaves memory and lives only in the store.",
    )
    retention_days: float = Field(
        30.0, gt=0, description="Sessions unused for this long are deleted from the store."
    )
    store_batch_max: int = Field(
        256, ge=1, description="Most sessions the store's writer saves in one transaction."
    )

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

    def trainer_count(self) -> int:
        """The number of trainer processes: ``trainers``, or one per core when unset."""
        if self.trainers is not None:
            return self.trainers
        return max(1, os.cpu_count() or 1)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings read from the environment (used when none are given)."""
    return Settings()
