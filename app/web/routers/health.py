"""``GET /healthz``: the process answers, how many sessions it knows and holds in trainers, how
many trainers it reaches, and whether the store keeps up."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request

from app.web.responses import Health

router = APIRouter(tags=["health"])
MB = 1 << 20

EXAMPLE = {
    "status": "ok",
    "sessions": 3,
    "resident": 2,
    "trainers": 2,
    "store": {"queued": 0, "failures": 0, "writer_alive": True},
    "memory": {
        "sessions_mb": 12.5,
        "max_memory_mb": 2048,
        "max_memory_mb_per_client": 512,
        "web_rss_mb": 95.1,
    },
}


def rss_bytes() -> int | None:
    """This process's resident memory (Linux), None where /proc cannot tell."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@router.get(
    "/healthz",
    responses={200: {"model": Health, "content": {"application/json": {"example": EXAMPLE}}}},
)
async def healthz(request: Request) -> dict:
    state = request.app.state
    registry, trainers = state.registry, state.pool.count()
    settings, rss = state.settings, rss_bytes()
    stats = state.store.stats()
    return {
        "status": "ok",
        "sessions": len(registry),
        "resident": sum(1 for s in registry if s.trainer is not None),
        "trainers": trainers,
        "store": {
            "queued": stats.queued,
            "failures": stats.consecutive_failures,
            "writer_alive": stats.writer_alive,
        },
        "memory": {  # the sessions' estimate against the budget (app/limits.py)
            "sessions_mb": round(registry.memory() / MB, 1),
            "max_memory_mb": settings.max_memory_mb,
            "max_memory_mb_per_client": settings.max_memory_mb_per_client,
            "web_rss_mb": None if rss is None else round(rss / MB, 1),
        },
    }
