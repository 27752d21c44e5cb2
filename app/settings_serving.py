"""The settings of how the server serves (a part of ``Settings``, ``app/settings.py``): its
connections, the frames it streams, trainers and hosts, and the store. Each field is a
``BPP_*`` variable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ServingSettings(BaseModel):
    """Transport, streaming, more than one host, and the store."""

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
