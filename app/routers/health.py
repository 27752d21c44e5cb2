"""``GET /healthz``: the process answers, how many sessions it knows and holds in trainers, how
many trainers it reaches, and whether the store keeps up."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])

EXAMPLE = {
    "status": "ok",
    "sessions": 3,
    "resident": 2,
    "trainers": 2,
    "store": {"queued": 0, "failures": 0, "writer_alive": True},
}


@router.get("/healthz", responses={200: {"content": {"application/json": {"example": EXAMPLE}}}})
async def healthz(request: Request) -> dict:
    state = request.app.state
    registry, pool = state.registry, state.pool
    trainers = len(pool.live) if hasattr(pool, "live") else len(pool.links)
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
    }
