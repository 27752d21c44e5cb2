"""The LTI tool's keys and configuration, for the LMS admin who registers it:

- ``GET /lti/jwks``: the tool's public keys;
- ``GET /lti/config``: what to paste into Canvas or Moodle (and the platforms registered here);
- ``GET /lti/config.json``: Canvas's JSON configuration of the tool.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.lti.claims import DEEP_LINKING_REQUEST, SCORE_SCOPE
from app.lti.routes_common import base_url, lti_of
from app.web.routers.pages import templates

router = APIRouter(include_in_schema=False)

LINE_LOOKUP_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


# ---- keys and configuration -----------------------------------------------------------------


@router.get("/lti/jwks")
async def jwks(request: Request) -> JSONResponse:
    """The tool's public keys (RFC 7517): platforms verify its signatures with them."""
    keys = await asyncio.to_thread(lti_of(request).keys.jwks)
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


def tool_config(base: str) -> dict[str, Any]:
    """The URLs to register, and Canvas's JSON configuration of the tool."""
    launch = base + "/lti/launch"
    urls = {
        "login_url": base + "/lti/login",
        "redirect_url": launch,
        "target_link_url": launch,
        "deep_linking_url": launch,
        "jwks_url": base + "/lti/jwks",
    }
    canvas = {
        "title": "Backprop Playground",
        "description": "Watch a neural network learn by backpropagation; lessons and challenges.",
        "oidc_initiation_url": urls["login_url"],
        "target_link_uri": launch,
        "public_jwk_url": urls["jwks_url"],
        "scopes": [SCORE_SCOPE, LINE_LOOKUP_SCOPE],
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "name_only",
                "settings": {
                    "placements": [
                        {
                            "placement": "link_selection",
                            "message_type": DEEP_LINKING_REQUEST,
                            "target_link_uri": launch,
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": DEEP_LINKING_REQUEST,
                            "target_link_uri": launch,
                        },
                    ]
                },
            }
        ],
    }
    return {**urls, "canvas": canvas}


@router.get("/lti/config", response_class=HTMLResponse)
async def config_page(request: Request) -> HTMLResponse:
    """What an LMS admin pastes into Canvas or Moodle, and the platforms registered here."""
    lti = lti_of(request)
    platforms = await asyncio.to_thread(lti.platforms.all)
    config = tool_config(base_url(request))
    return templates.TemplateResponse(
        request,
        "lti_config.html",
        {
            "boot": {},
            "config": config,
            "canvas_json": json.dumps(config["canvas"], indent=2),
            "platforms": [p.json() for p in platforms],
        },
    )


@router.get("/lti/config.json")
async def config_json(request: Request) -> JSONResponse:
    """Canvas's JSON configuration ("Enter URL" when adding an LTI 1.3 developer key)."""
    return JSONResponse(tool_config(base_url(request))["canvas"])
