"""A small headless-Chromium driver for the page tests, standard library only.

Chromium speaks the DevTools protocol over a pair of pipes when started with
`--remote-debugging-pipe` (commands on fd 3, replies and events on fd 4,
NUL-terminated JSON), so no websocket client and no open port are needed.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
    # Any name lookup fails: a page that tried to reach the network could not, and we would see it try.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    """The Chromium binary: $RETROTRACK_CHROMIUM, then Debian's chromium, then other usual names."""
    env = os.environ.get("RETROTRACK_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with a fresh profile, driven over the DevTools pipe."""

    def __init__(self, binary: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="retrotrack-chromium-")
        r_cmd, self._w_cmd = os.pipe()
        self._r_evt, w_evt = os.pipe()

        def child_fds() -> None:  # runs in the child before exec: its fd 3 reads commands, fd 4 writes replies
            a, b = os.dup(r_cmd), os.dup(w_evt)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(3, 4),
            preexec_fn=child_fds,
        )
        os.close(r_cmd)
        os.close(w_evt)
        self._next_id = 0
        self._inbox: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.send("Target.setDiscoverTargets", {"discover": True})

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            if len(self._stderr) < 2000:
                self._stderr.append(line)

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._r_evt, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self._inbox.put(json.loads(msg))

    def _next(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CDPError("timed out waiting for Chromium")
        try:
            msg = self._inbox.get(timeout=remaining)
        except queue.Empty:
            raise CDPError("timed out waiting for Chromium") from None
        if msg is None:
            raise CDPError("Chromium closed the pipe: " + b"".join(self._stderr[-20:]).decode("utf-8", "replace"))
        return msg

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its reply; events seen meanwhile are kept in `events`."""
        self._next_id += 1
        mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w_cmd, json.dumps(msg).encode("utf-8") + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == mid:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, session: str | None = None, timeout: float | None = None) -> dict:
        """Wait for an event (or find it among those already seen)."""
        for i, ev in enumerate(self.events):
            if ev["method"] == method and (session is None or ev.get("sessionId") == session):
                return self.events.pop(i)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._next(deadline)
            if "method" not in msg:
                continue
            if msg["method"] == method and (session is None or msg.get("sessionId") == session):
                return msg
            self.events.append(msg)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except CDPError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self._w_cmd)
        os.close(self._r_evt)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, with network, console and dialog events recorded."""

    def __init__(self, browser: Browser, width: int, height: int, *, mobile: bool = False, scale: float = 1.0) -> None:
        self.browser = browser
        self.target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.cmd(f"{domain}.enable")
        self.cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})
        if mobile:
            self.cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        # Count alert() calls instead of blocking on a dialog: an injected script would show up here.
        self.cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "window.__alerts = 0; window.alert = function () { window.__alerts += 1; };"})
        self.width, self.height = width, height

    def cmd(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def open(self, url: str) -> None:
        self.url = url
        self.cmd("Page.navigate", {"url": url})
        self.browser.wait_event("Page.loadEventFired", self.session)

    def eval(self, expression: str):
        """Evaluate JavaScript in the page and return its (JSON-able) value."""
        res = self.cmd("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            raise CDPError(f"page error in {expression!r}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field, clear it, and type as a person would (input events fire)."""
        self.eval(f"(function(){{var e=document.querySelector({json.dumps(selector)}); e.focus(); e.select && e.select(); return true;}})()")
        self.cmd("Input.insertText", {"text": text})

    def click(self, selector: str) -> None:
        box = self.eval(
            f"(function(){{var e=document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block:'center'}});"
            "var r=e.getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2];})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.cmd("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def screenshot(self, path: Path, full_page: bool = False, max_height: int = 7000, at: str | None = None) -> Path:
        """A PNG of the viewport, of the whole page, or of one viewport-high slice from element `at`."""
        self.eval("window.scrollTo(0, 0); true")
        params: dict = {"format": "png"}
        if at is not None:
            y = int(self.eval(f"Math.max(0, document.querySelector({json.dumps(at)}).getBoundingClientRect().top + scrollY - 8)"))
            params.update({"captureBeyondViewport": True, "clip": {"x": 0, "y": y, "width": self.width, "height": self.height, "scale": 1}})
        elif full_page:
            h = min(int(self.eval("Math.ceil(document.documentElement.scrollHeight)")), max_height)
            params.update({"captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": self.width, "height": h, "scale": 1}})
        data = self.cmd("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path) -> Path:
        data = self.cmd("Page.printToPDF", {"printBackground": False, "preferCSSPageSize": True})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def requests(self) -> list[str]:
        """URLs of every request this tab made."""
        return [ev["params"]["request"]["url"] for ev in self.browser.events if ev["method"] == "Network.requestWillBeSent" and ev.get("sessionId") == self.session]

    def problems(self) -> list[str]:
        """Console errors, exceptions, CSP violations and dialogs seen in this tab."""
        out = []
        for ev in self.browser.events:
            if ev.get("sessionId") != self.session:
                continue
            m, p = ev["method"], ev["params"]
            if m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p["exceptionDetails"])[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + json.dumps(p.get("args"))[:500])
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append("log: " + p["entry"].get("text", "")[:500])
            elif m == "Page.javascriptDialogOpening":
                out.append("dialog: " + p.get("message", ""))
        return out

    def close(self) -> None:
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target})
        except CDPError:
            pass
