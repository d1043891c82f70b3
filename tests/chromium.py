"""A real browser for the tests: headless Chromium driven over the DevTools protocol on a pipe.

``--remote-debugging-pipe`` makes Chromium read JSON commands on file descriptor 3 and write
replies and events on 4, each message ended by a NUL byte: the standard library is enough, no
websocket client, no Selenium, no download of a browser. Debian's ``chromium-headless-shell``
package (``.ci/run`` installs it) or ``chromium`` provide the binary.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

BINARIES = ("chromium-headless-shell", "chromium", "chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--remote-debugging-pipe",
]  # fmt: skip
SIZE_JS = "JSON.stringify([document.body.scrollWidth, document.body.scrollHeight])"
IMAGES_JS = "JSON.stringify(Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]))"


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, BINARIES) if path), None)


@dataclass
class PageCheck:
    """What a page did when loaded: its images (alt, complete, natural width and height), the
    errors of its console and log, the URLs it asked for, and the page's text length."""

    images: list[tuple[str, bool, int, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    text_length: int = 0


class Chromium:
    """One headless browser; ``with Chromium() as browser: browser.check(path)``."""

    def __init__(self, binary: str | None = None, timeout: float = 60.0) -> None:
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise RuntimeError("no Chromium found (apt-get install chromium-headless-shell)")
        self.timeout, self._next, self._buffer = timeout, 0, b""

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="vae-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def plumb() -> None:
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._process = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=plumb, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_child)
        os.close(from_child)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._send("Browser.close")
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self._profile, ignore_errors=True)

    def check(self, path: str, screenshot: str | None = None, width: int = 1100, height: int = 900) -> PageCheck:
        """Load ``path`` (a local file) in a new tab, wait for its load event, and say what happened."""
        session = self._open_tab(width, height)
        result = PageCheck()
        events = self._navigate(session, "file://" + os.path.abspath(path))
        images = json.loads(self._evaluate(session, IMAGES_JS))
        result.images = [tuple(i) for i in images]  # type: ignore[misc]
        result.text_length = int(self._evaluate(session, "document.body.innerText.length"))
        if screenshot:
            self._screenshot(session, screenshot)
        for e in events + self._drain():
            self._note(e, result)
        return result

    # -- the protocol -----------------------------------------------------------------------
    def _open_tab(self, width: int, height: int) -> str:
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self._call(method, session=session)
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self._call("Emulation.setDeviceMetricsOverride", metrics, session)
        return session

    def _navigate(self, session: str, url: str) -> list[dict]:
        events: list[dict] = []
        self._call("Page.navigate", {"url": url}, session, events)
        while not any(e.get("method") == "Page.loadEventFired" for e in events):
            events.append(self._receive())
        return events

    def _evaluate(self, session: str, expression: str) -> object:
        reply = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        return reply["result"]["value"]

    def _screenshot(self, session: str, out: str) -> None:
        size = json.loads(str(self._evaluate(session, SIZE_JS)))
        clip = {"x": 0, "y": 0, "width": max(size[0], 1), "height": max(size[1], 1), "scale": 1}
        options = {"format": "png", "clip": clip, "captureBeyondViewport": True}
        shot = self._call("Page.captureScreenshot", options, session)
        with open(out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    @staticmethod
    def _note(event: dict, result: PageCheck) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Log.entryAdded" and params["entry"]["level"] == "error":
            result.errors.append(params["entry"]["text"])
        elif method == "Runtime.exceptionThrown":
            result.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            result.errors.append(str(params.get("args")))
        elif method == "Network.requestWillBeSent":
            result.requests.append(params["request"]["url"])

    def _call(
        self, method: str, params: dict | None = None, session: str | None = None, events: list | None = None
    ) -> dict:
        ident = self._send(method, params, session)
        while True:
            message = self._receive()
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if events is not None:
                events.append(message)

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next += 1
        message: dict = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._next

    def _receive(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError(f"Chromium said nothing for {self.timeout} s")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe (it died)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _drain(self) -> list[dict]:
        """The messages already sent to us (the events that followed the load)."""
        events = []
        while b"\0" in self._buffer or select.select([self._read], [], [], 0.2)[0]:
            if b"\0" not in self._buffer:
                chunk = os.read(self._read, 1 << 16)
                if not chunk:
                    break
                self._buffer += chunk
                continue
            message, self._buffer = self._buffer.split(b"\0", 1)
            events.append(json.loads(message))
        return events
