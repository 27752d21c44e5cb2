"""The platforms' public keys: each platform's JWKS fetched over HTTP and kept for
``lti_jwks_cache_seconds``; fetched again at once when a token names a key id the cached set
lacks (the platform rotated its keys), at most once per token. Synchronous (httpx): the
launch calls it in a thread. ``fetch`` is the seam tests may replace."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc.jwk import KeySet

from app.lti.claims import LtiError

Fetch = Callable[[str, float], dict[str, Any]]


def fetch_json(url: str, timeout: float) -> dict[str, Any]:
    """GET ``url`` → its JSON object (raises on HTTP errors and non-objects)."""
    response = httpx.get(url, timeout=timeout, follow_redirects=False)
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


class PlatformKeys:
    def __init__(self, cache_seconds: float, timeout: float, fetch: Fetch = fetch_json) -> None:
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self.fetch = fetch
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, KeySet]] = {}

    def _fetch(self, url: str) -> KeySet:
        try:
            keys = KeySet.import_key_set(self.fetch(url, self.timeout))  # type: ignore[arg-type]
        except Exception as exc:  # network, HTTP status, not a JWKS: the platform's fault
            raise LtiError(
                "jwks_url", f"the platform's keys could not be read ({type(exc).__name__})", 502
            ) from None
        with self._lock:
            self._cache[url] = (time.monotonic(), keys)
        return keys

    def key_set(self, url: str, kid: str | None) -> KeySet:
        """The platform's keys, holding ``kid`` if the platform publishes it."""
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            if kid is None or any(k.kid == kid for k in cached[1].keys):
                return cached[1]
        return self._fetch(url)
