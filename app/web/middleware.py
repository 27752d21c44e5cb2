"""ASGI middleware: body size (413), JSON bodies (415/422), cross-site state changes (403),
security headers. Every refusal has the API's error shape: ``{"detail": [{"loc", "field", "msg",
"type"}]}``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.version import API_VERSION, HEADER


def replaying(message: Message, receive: Receive) -> Receive:
    """A ``receive`` that gives ``message`` first, then whatever ``receive`` gives."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return message
        return await receive()

    return replay


async def refuse(
    send: Send, status: int, loc: list[str], message: str, kind: str, close: bool = False
) -> None:
    """Answer ``status`` with one error naming the field ``loc`` (without its ``body``/
    ``header`` prefix, unless that is all there is); ``close``: and close the connection."""
    field = ".".join(loc[1:]) or loc[0]
    body = json.dumps(
        {"detail": [{"loc": loc, "field": field, "msg": message, "type": kind}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *([(b"connection", b"close")] if close else []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Answer 413 when Content-Length, or the bytes actually received, exceed ``max_bytes``,
    and 408 (closing the connection) when the body takes longer than ``timeout`` seconds to
    arrive (a slow client holding a connection).

    The body (at most ``max_bytes``) is read here and replayed to the app in one message.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive)
        except TimeoutError:
            message = f"the request body took longer than {self.timeout} s (body_timeout_seconds)"
            await refuse(send, 408, ["body"], message, "timeout", close=True)
            return
        if body is None:
            return  # the client went away
        if len(body) > self.max_bytes:
            await self._refuse(send)
            return
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replaying(whole, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body (None: the client went away); stops just past ``max_bytes``."""
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            chunks.append(chunk)
            if received > self.max_bytes or not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, send: Send) -> None:
        message = f"request body exceeds the limit of {self.max_bytes} bytes (max_body_bytes)"
        await refuse(send, 413, ["body"], message, "too_large")


def is_json_type(content_type: bytes) -> bool:
    """``application/json`` or a ``+json`` type, parameters (charset) aside."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class JsonBody:
    """Request bodies under ``prefix`` are JSON: a non-empty body sent as a form, as text or
    without a content type gets 415 ("send a JSON body"), so a plain HTML form on another site
    cannot post to the API; one that is not valid UTF-8 gets 422. Both name the field ``body``.
    Runs inside ``BodySizeLimit``, which hands the body over in one message."""

    METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in self.METHODS
            or not scope.get("path", "").startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        message = await receive()
        body = message.get("body", b"") if message["type"] == "http.request" else b""
        if body:
            content_type = dict(scope.get("headers", ())).get(b"content-type", b"")
            if not is_json_type(content_type):
                shown = content_type.decode("latin-1")[:80] or "none"
                text = f"send a JSON body (Content-Type: application/json; got {shown})"
                await refuse(send, 415, ["body"], text, "content_type")
                return
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                text = f"send a JSON body: not valid UTF-8 at byte {exc.start}"
                await refuse(send, 422, ["body"], text, "json_invalid")
                return
        await self.app(scope, replaying(message, receive), send)


PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
# ReDoc (/redoc) runs its search in a web worker made from a blob
REDOC_CSP = PAGE_CSP + "; worker-src 'self' blob:"


VERSION_HEADER, VERSION = HEADER.lower().encode(), API_VERSION.encode()


def framed_csp(origins: tuple[str, ...]) -> str:
    """``PAGE_CSP`` for a page that the LMSs at ``origins`` may frame and receive forms
    from (LTI: the launch's pages, deep linking's answer posted back to the platform)."""
    listed = " ".join(origins)
    return PAGE_CSP.replace("frame-ancestors 'none'", f"frame-ancestors 'self' {listed}").replace(
        "form-action 'self'", f"form-action 'self' {listed}"
    )


class SecurityHeaders:
    """Headers on every answer: the API's version (``X-Playground-API``), no MIME sniffing, no
    framing, no referrer beyond this origin, and a Content-Security-Policy that allows no
    inline script and nothing from elsewhere (the page's boot data is a
    ``<script type="application/json">``, never run; the API docs are vendored and started by
    a script file).

    ``framing(path)``: the origins that may frame the answer to ``path`` (the registered LMS
    platforms, for LTI's pages; none for everything else): their answers list them in
    ``frame-ancestors`` and ``form-action`` and carry no ``X-Frame-Options``."""

    def __init__(
        self, app: ASGIApp, framing: Callable[[str], tuple[str, ...]] | None = None
    ) -> None:
        self.app = app
        self.framing = framing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        framers = self.framing(path) if self.framing is not None else ()
        policy = (REDOC_CSP if path == "/redoc" else PAGE_CSP).encode()
        if framers:
            policy = framed_csp(framers).encode()
        frame_options = [] if framers else [(b"x-frame-options", b"DENY")]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    *frame_options,
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", policy),
                    (VERSION_HEADER, VERSION),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOrigin:
    """Refuse cross-site state changes: an HTTP request other than GET/HEAD/OPTIONS, or a
    WebSocket upgrade, whose ``Origin`` is neither this server's own nor in ``allowed`` gets a
    403 naming the field ``origin``. Clients that send no Origin (scripts, notebooks) pass;
    browsers always send one on cross-site requests.

    ``exempt``: paths whose POSTs come from other sites by design and carry their own proof
    (LTI's login initiation and launch: the platform's signed id_token).
    """

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(
        self,
        app: ASGIApp,
        allowed: frozenset[str] = frozenset(),
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.allowed = allowed
        self.exempt = exempt

    def _foreign(self, scope: Scope) -> str | None:
        headers = dict(scope.get("headers", ()))
        origin = headers.get(b"origin")
        if origin is None:
            return None
        text = origin.decode("latin-1").rstrip("/")
        host = headers.get(b"host", b"").decode("latin-1")
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        if text in (f"{scheme}://{host}", f"{'wss' if scheme == 'https' else 'ws'}://{host}"):
            return None
        return None if text in self.allowed else text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        checked = kind == "websocket" or (
            kind == "http"
            and scope["method"] not in self.SAFE
            and scope.get("path", "") not in self.exempt
        )
        origin = self._foreign(scope) if checked else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        message = f"requests from {origin} are not allowed (allowed_origins)"
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
            return
        await refuse(send, 403, ["header", "origin"], message, "forbidden")
