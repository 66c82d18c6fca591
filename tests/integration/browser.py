"""A real browser for the integration tests: Debian's headless Chromium driven through its
DevTools protocol over a pipe (--remote-debugging-pipe: JSON messages ended by a NUL byte on
file descriptors 3 and 4), so no debugging port is opened and none can be raced for.

    with browser.Browser(width=1920, height=1080) as b:
        b.goto(url)                   # navigates and waits for the load
        b.eval("document.title")      # the value (a promise is awaited)
        b.wait_js("document.querySelector('#n')", timeout=30)
        b.click("#go"); b.type("#token", "fpt_...")
        b.set_files("input[type=file]", ["/path/a.csv"])
        b.login(token)                # stores the token as the pages do, and reloads
        b.screenshot(path)            # PNG of the viewport
        b.urls()                      # every URL the page requested
        b.errors()                    # console errors, exceptions, failed loads and CSP refusals

Nothing here waits by sleeping: every wait is fp.wait_for on a condition with a deadline."""
import atexit
import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading

import fp

CHROMIUM = os.environ.get("FANGPIN_CHROMIUM", "/usr/bin/chromium")
_open = []  # every Browser not yet closed, killed when the test process exits


@atexit.register
def _kill_leftovers():
    for b in list(_open):
        b.close()


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, width=1920, height=1080, lang="zh-CN"):
        self.width, self.height, self.lang = width, height, lang
        self._next = 0
        self._replies = {}
        self._events = []
        self._cv = threading.Condition()
        self._proc = None
        self._session = None

    # ------------------------------------------------------------------ the process and the pipe
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        self._dir = tempfile.mkdtemp(prefix="chromium-", dir=fp.VAR)
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # The test browser loads only the services' own pages on loopback; Chromium's sandbox
        # cannot start as root (CI runs as root), so it is off here and only here.
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--remote-debugging-pipe",
                f"--user-data-dir={self._dir}", f"--window-size={self.width},{self.height}",
                f"--lang={self.lang}", "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-features=Translate,MediaRouter",
                "--hide-scrollbars", "--mute-audio", "--password-store=basic", "about:blank"]
        # fds 3 and 4 in the child, whatever numbers os.pipe gave here
        self._proc = subprocess.Popen(["sh", "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}'] + args,
                                      pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
                                      stdout=open(os.path.join(self._dir, "chromium.log"), "wb"),
                                      stderr=subprocess.STDOUT, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        _open.append(self)
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                  page=False)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})

    def close(self):
        if self not in _open:
            return
        _open.remove(self)
        try:
            self.send("Browser.close", page=False, timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, 9)
            self._proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._dir, ignore_errors=True)

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cv:
                    self._replies[None] = "gone"
                    self._cv.notify_all()
                return
            buf += chunk
            *msgs, buf = buf.split(b"\0")
            with self._cv:
                for m in msgs:
                    msg = json.loads(m)
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self._events.append(msg)
                self._cv.notify_all()

    def send(self, method, params=None, page=True, timeout=30):
        """One DevTools command, to the page (page=True) or the browser; its result."""
        with self._cv:
            self._next += 1
            mid = self._next
        msg = {"id": mid, "method": method, "params": params or {}}
        if page:
            msg["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        with self._cv:
            if not self._cv.wait_for(lambda: mid in self._replies or None in self._replies, timeout):
                raise BrowserError(f"chromium did not answer {method} within {timeout}s")
            if mid not in self._replies:
                raise BrowserError(f"chromium exited during {method}; its log: {self._log_tail()}")
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _log_tail(self):
        try:
            with open(os.path.join(self._dir, "chromium.log"), "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------------ the page
    def goto(self, url, timeout=30):
        nav = self.send("Page.navigate", {"url": url})
        if nav.get("errorText"):
            raise BrowserError(f"navigating to {url}: {nav['errorText']}")
        self.wait_js("document.readyState === 'complete'", timeout=timeout, what=f"{url} to load")

    def reload(self, timeout=30):
        self.send("Page.reload", {"ignoreCache": True})
        self.wait_js("document.readyState === 'complete'", timeout=timeout, what="the reload")

    def eval(self, expr):
        r = self.send("Runtime.evaluate",
                      {"expression": expr, "awaitPromise": True, "returnByValue": True, "userGesture": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise BrowserError(f"{expr[:200]}: {text}")
        return r["result"].get("value")

    def wait_js(self, expr, timeout=30, what=None):
        """Polls the expression until it is truthy; returns its value."""
        return fp.wait_for(lambda: self._try_eval(expr), timeout=timeout, what=what or expr)

    def _try_eval(self, expr):
        try:
            return self.eval(expr)
        except BrowserError as e:
            if "Execution context was destroyed" in str(e) or "Cannot find context" in str(e):
                return None  # a navigation is under way
            raise

    def click(self, css):
        self.eval(f"(() => {{ const e = document.querySelector({json.dumps(css)});"
                  f" if (!e) throw new Error('no element ' + {json.dumps(css)}); e.click(); }})()")

    def type(self, css, text):
        self.eval(f"(() => {{ const e = document.querySelector({json.dumps(css)});"
                  f" if (!e) throw new Error('no element ' + {json.dumps(css)}); e.focus(); e.value = {json.dumps(text)};"
                  " e.dispatchEvent(new Event('input', {bubbles: true}));"
                  " e.dispatchEvent(new Event('change', {bubbles: true})); })()")

    def set_files(self, css, paths):
        root = self.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": css})["nodeId"]
        if not node:
            raise BrowserError(f"no element {css}")
        self.send("DOM.setFileInputFiles", {"nodeId": node, "files": [os.path.abspath(p) for p in paths]})

    def login(self, token):
        """Stores the token where web/common/fangpin.js keeps it (localStorage) and reloads."""
        self.eval(f"localStorage.setItem('fangpin.token', {json.dumps(token)})")
        self.reload()

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def _drain(self):
        self.eval("0")  # every event sent before this reply has been read
        with self._cv:
            return list(self._events)

    def urls(self):
        """Every URL the page requested so far (documents, scripts, fetches, streams)."""
        return [e["params"]["request"]["url"] for e in self._drain() if e.get("method") == "Network.requestWillBeSent"]

    def errors(self):
        """Console errors, uncaught exceptions, and the browser's own errors (failed loads, CSP)."""
        out = []
        for e in self._drain():
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(d.get("exception", {}).get("description") or d.get("text"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out
