"""``GET /healthz``: the process answers and how many sessions it holds."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ok", "sessions": 3}}}}
    },
)
async def healthz(request: Request) -> dict:
    return {"status": "ok", "sessions": len(request.app.state.registry)}
