"""A minimal WebDriver BiDi client for Debian's Firefox ESR (no geckodriver, no patched build).

Firefox speaks WebDriver BiDi itself when started with ``--remote-debugging-port``; this client
sends commands over that WebSocket (``websockets``' sync client) and collects console entries.
Protocol: https://w3c.github.io/webdriver-bidi/ (session.new, browsingContext.*, script.evaluate).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

FIREFOX = "/usr/bin/firefox-esr"

# Keep a test browser off the network: no updates, telemetry, experiments or safe-browsing lists.
QUIET_PREFS = {
    "app.normandy.enabled": False,
    "app.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.update.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "toolkit.telemetry.enabled": False,
}


# WebDriver's key codes (https://w3c.github.io/webdriver/#keyboard-actions) for press()
KEYS = {
    "Tab": "\ue004",
    "Enter": "\ue007",
    "Shift": "\ue008",
    "Escape": "\ue00c",
    "Space": " ",
    "End": "\ue010",
    "Home": "\ue011",
    "ArrowLeft": "\ue012",
    "ArrowUp": "\ue013",
    "ArrowRight": "\ue014",
    "ArrowDown": "\ue015",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Firefox:
    """Headless Firefox with one browsing context, driven over WebDriver BiDi."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.profile = tempfile.mkdtemp(prefix="bpp-firefox-")
        Path(self.profile, "user.js").write_text(
            "".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in QUIET_PREFS.items())
        )
        port = _free_port()
        self.proc = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--profile", self.profile,
             "--remote-debugging-port", str(port), "about:blank"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        for line in self.proc.stdout:  # type: ignore[union-attr]
            if "WebDriver BiDi listening" in line:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("Firefox did not start its WebDriver BiDi server")
        self._stack = ExitStack()
        self.ws = self._stack.enter_context(
            connect(f"ws://127.0.0.1:{port}/session", max_size=None)
        )
        self._id = 0
        self.console: list[dict] = []
        self.call("session.new", {"capabilities": {}})
        self.call("session.subscribe", {"events": ["log.entryAdded"]})
        # a tab of our own: the one Firefox starts with never gets the focus when headless (no
        # focus events, no :focus-visible, document.hasFocus() false); a created one does
        self.context = self.call("browsingContext.create", {"type": "tab"})["context"]
        self.call(
            "browsingContext.setViewport",
            {"context": self.context, "viewport": {"width": width, "height": height}},
        )

    def call(self, method: str, params: dict) -> dict:
        self._id += 1
        my = self._id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("type") == "event":
                if msg.get("method") == "log.entryAdded":
                    self.console.append(msg["params"])
                continue
            if msg.get("id") == my:
                if msg.get("type") == "error":
                    raise RuntimeError(f"{method}: {msg.get('error')}: {msg.get('message')}")
                return msg["result"]

    def goto(self, url: str) -> None:
        self.call(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (promises awaited), as a Python value."""
        r = self.call(
            "script.evaluate",
            {
                "expression": f"(async () => JSON.stringify(await ({expression})))()",
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if r.get("type") == "exception":
            raise RuntimeError(r["exceptionDetails"].get("text"))
        value = r["result"].get("value")
        return None if value is None else json.loads(value)

    def press(self, *keys: str) -> None:
        """Press keys one after another as a user does, through ``input.performActions`` (real
        key events, the browser's own focus moves): names from ``KEYS`` or one character, with
        modifiers as in ``"Shift+Tab"``."""
        actions: list[dict] = []
        for key in keys:
            values = [KEYS.get(k, k) for k in key.split("+")]
            actions += [{"type": "keyDown", "value": v} for v in values]
            actions += [{"type": "keyUp", "value": v} for v in reversed(values)]
        keyboard = {"type": "key", "id": "kbd", "actions": actions}
        self.call("input.performActions", {"context": self.context, "actions": [keyboard]})

    def wait_for(self, expression: str, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        data = self.call("browsingContext.captureScreenshot", {"context": self.context})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def errors(self) -> list[str]:
        return [e.get("text", "") for e in self.console if e.get("level") == "error"]

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
