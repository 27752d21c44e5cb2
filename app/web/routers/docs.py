"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from files this server holds: the libraries are
vendored under ``static/vendor`` by ``scripts/vendor.sh`` (versions and licences in
``static/vendor/VERSIONS.txt``), so the API's documentation works on a network without the
internet, and both pages run under a Content-Security-Policy without inline script. ReDoc
sits in a ``<main>`` landmark (Swagger UI makes its own), and ``static/docs/docs.css`` darkens
the Swagger UI colours that fall below WCAG AA contrast."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

SWAGGER_UI = "/static/vendor/swagger-ui-5.35.0"
REDOC = "/static/vendor/redoc-2.5.4"

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    return _page(
        f"{app.title} - Swagger UI",
        f'<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">\n'
        f'<link rel="icon" type="image/png" href="{SWAGGER_UI}/favicon-32x32.png">\n'
        '<link rel="stylesheet" href="/static/docs/docs.css">\n',
        '<div id="swagger-ui"></div>\n'
        f'<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>\n'
        f'<script src="/static/docs/swagger-init.js" data-openapi="{escape(app.openapi_url)}">'
        "</script>\n",
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    app = request.app
    return _page(
        f"{app.title} - ReDoc",
        f'<link rel="icon" type="image/png" href="{SWAGGER_UI}/favicon-32x32.png">\n',
        f'<main><redoc spec-url="{escape(app.openapi_url)}"></redoc></main>\n'
        f'<script src="{REDOC}/redoc.standalone.js"></script>\n',
    )
