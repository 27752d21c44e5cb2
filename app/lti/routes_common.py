"""What the LTI routes share: the LTI service, the tool's address as the LMS knows it,
cookies that work inside the LMS's frame, the message page (and a refused launch on it), and
the form a platform posts.

A refused launch is an HTML page with a 4xx status naming the parameter or claim at fault.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.errors import FieldError
from app.lti.service import LtiService
from app.web.routers.pages import templates


def lti_of(request: Request) -> LtiService:
    return request.app.state.lti


def base_url(request: Request) -> str:
    """The tool's address as the LMS knows it: ``lti_base_url``, else this request's."""
    configured = request.app.state.settings.lti_base_url
    return (configured or str(request.base_url)).rstrip("/")


def lti_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    """A cookie that works inside the LMS's frame: over HTTPS SameSite=None; Secure;
    Partitioned (CHIPS: kept per top-level site, which browsers blocking third-party cookies
    still allow). Over plain HTTP (a laptop) browsers refuse SameSite=None, so Lax."""
    https = request.url.scheme == "https"
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="none" if https else "lax",
        secure=https,
    )
    if https:  # the standard library's cookies learn Partitioned only in Python 3.14
        header, cookie = response.raw_headers[-1]
        response.raw_headers[-1] = (header, cookie + b"; Partitioned")


def page(
    request: Request, title: str, message: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    """The LTI pages: a message, and whatever ``extra`` the template shows."""
    return templates.TemplateResponse(
        request,
        "lti_message.html",
        {"title": title, "message": message, "boot": {}, **extra},
        status_code=status,
    )


def refused(
    request: Request, exc: FieldError, title: str = "This launch was refused"
) -> HTMLResponse:
    return page(
        request,
        title,
        exc.message,
        exc.status_code,
        field=exc.field,
    )


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (what platforms post), first values."""
    body = (await request.body()).decode("utf-8", "replace")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        form.setdefault(key, value)
    return form
