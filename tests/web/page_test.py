#!/usr/bin/env python3
"""The browser page end to end, in headless Chromium through ChromeDriver
(the W3C WebDriver protocol over HTTP; Python's standard library only).

- The page loads, finds WebGPU, trains ~20 steps; the grid canvas and the
  loss chart are read back and must not be blank; a screenshot is saved.
- A checkpoint made in the browser is sampled and resumed by the native CLI,
  and one made by the native CLI is loaded and trained on in the browser.
- A file that is not a checkpoint is refused with a message on the page.
- With --bench, the training step's img/s at batch 32 and 64.

Run by scripts/web-test.sh after scripts/web-build.sh; exits non-zero on
any failure.
"""
import argparse
import base64
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(directory):
    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Driver:
    """The few WebDriver calls the test needs."""

    def __init__(self, chromedriver, args):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [chromedriver, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 30
        while True:
            try:
                if self.call("GET", "/status")["value"]["ready"]:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.2)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": args}}}}
        self.session = self.call("POST", "/session", caps)["value"]["sessionId"]
        self.call("POST", f"/session/{self.session}/timeouts", {"script": 600_000})

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=900) as r:
            return json.loads(r.read())

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)["value"]

    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        """`script` ends by calling `done(value)` (the last argument)."""
        wrapped = "const done = arguments[arguments.length - 1];\n" + script
        return self.s("POST", "/execute/async", {"script": wrapped, "args": list(args)})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.proc.kill()


def wait_for(driver, what, predicate, timeout):
    deadline = time.time() + timeout
    while True:
        status = driver.js("return window.gan ? window.gan.status : null;")
        if status and status.get("error"):
            raise AssertionError(f"{what}: the page shows an error: {status['error']}")
        if status and predicate(status):
            return status
        if time.time() > deadline:
            raise AssertionError(f"{what}: timed out; last status {status}")
        time.sleep(0.5)


# Fractions of a canvas that are not its background: the grid's background
# is the grey gap colour (40), the chart's is white.
CANVAS_INK = """
const c = document.getElementById(arguments[0]);
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
const bg = arguments[1];
let ink = 0, values = new Set();
for (let i = 0; i < d.length; i += 4) {
  if (Math.abs(d[i] - bg) + Math.abs(d[i + 1] - bg) + Math.abs(d[i + 2] - bg) > 30) ink++;
  values.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
}
return [ink / (d.length / 4), values.size];
"""

TO_BASE64 = """
window.gan.checkpointBytes().then((b) => {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  done(btoa(s));
}, (e) => done('ERROR ' + e));
"""

LOAD = """
const bytes = Uint8Array.from(atob(arguments[1]), (c) => c.charCodeAt(0));
window.gan.loadCheckpoint(arguments[0], bytes).then((s) => done(s), (e) => done('ERROR ' + ((e && e.message) || e)));
"""


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print(f"ok: {msg}")


def page_test(driver, base, binary, out):
    batch, limit = 8, 64
    driver.get(f"{base}/?autostart=1&batch={batch}&limit={limit}&grid_every=5")
    status = wait_for(driver, "training 20 steps", lambda s: s["step"] >= 20 and s["grids"] >= 3, 600)
    driver.js("window.gan.status.running = false;")
    time.sleep(1)
    print(f"adapter: {status['adapter']}")
    grid_ink, grid_values = driver.js(CANVAS_INK, "grid", 40)
    check(grid_ink > 0.3 and grid_values > 20, f"grid canvas is drawn ({grid_ink:.0%} ink, {grid_values} values)")
    chart_ink, _ = driver.js(CANVAS_INK, "chart", 255)
    check(chart_ink > 0.01, f"chart canvas is drawn ({chart_ink:.1%} ink)")
    check(len(status["history"]) >= 4, f"{len(status['history'])} metric readbacks after step {status['step']}")
    driver.screenshot(os.path.join(out, "page.png"))
    print(f"screenshot: {os.path.join(out, 'page.png')}")

    # Browser → native: sample, then resume to the end of the epoch.
    encoded = driver.js_async(TO_BASE64)
    check(not encoded.startswith("ERROR"), "the page exports a checkpoint")
    ckpt = os.path.join(out, "browser.safetensors")
    with open(ckpt, "wb") as f:
        f.write(base64.b64decode(encoded))
    grid = os.path.join(out, "browser-checkpoint-sampled.png")
    subprocess.run([binary, "sample", "--checkpoint", ckpt, "--n", "16", "--out", grid], check=True, cwd=ROOT)
    check(os.path.getsize(grid) > 0, "native `gan-gpu sample` reads the browser's checkpoint")
    step = driver.js("return window.gan.status.step;")
    epoch_end = (step // (limit // batch) + 1)
    resumed = os.path.join(out, "resumed-natively")
    subprocess.run([binary, "train", "--resume", ckpt, "--epochs", str(epoch_end), "--out", resumed],
                   check=True, cwd=ROOT)
    check(os.path.exists(os.path.join(resumed, "checkpoint.safetensors")),
          f"native `gan-gpu train --resume` continues the browser's run from step {step} to epoch {epoch_end}")

    # Native → browser: a native run's checkpoint loads and trains on.
    native = os.path.join(out, "native-run")
    subprocess.run([binary, "train", "--limit", "32", "--batch-size", "8", "--epochs", "1", "--out", native,
                   ], check=True, cwd=ROOT)
    with open(os.path.join(native, "checkpoint.safetensors"), "rb") as f:
        native_bytes = base64.b64encode(f.read()).decode()
    grids = driver.js("return window.gan.status.grids;")
    summary = driver.js_async(LOAD, "native.safetensors", native_bytes)
    check(not summary.startswith("ERROR") and "step 4" in summary, f"the page loads a native checkpoint ({summary})")
    wait_for(driver, "grid from the native checkpoint", lambda s: s["grids"] > grids, 60)
    grid_ink, _ = driver.js(CANVAS_INK, "grid", 40)
    check(grid_ink > 0.3, "the native checkpoint's grid is drawn")
    driver.js("document.getElementById('pause').click();")
    wait_for(driver, "training on from the native checkpoint", lambda s: s["step"] >= 8, 300)
    driver.js("window.gan.status.running = false;")
    time.sleep(1)
    check(True, "the page trains on from the native checkpoint's step 4")

    # A batch over the adapter's limits: a message on the page, and the
    # page still works afterwards.
    driver.get(f"{base}/?autostart=1&batch=20000")
    deadline = time.time() + 300
    while not (shown := driver.js("return window.gan && window.gan.status.error;")):
        assert time.time() < deadline, "no error for a batch over the limits"
        time.sleep(0.5)
    check("20000" in shown and "limit" in shown, f"a batch over the adapter's limits is refused: {shown!r}")

    # Not a checkpoint: refused with a message on the page.
    junk = base64.b64encode(b"this is not a safetensors file").decode()
    result = driver.js_async(LOAD, "junk.safetensors", junk)
    shown = driver.js("return document.getElementById('problem').textContent;")
    check(result.startswith("ERROR") and "junk.safetensors" in shown and "safetensors" in shown,
          f"a file that is not a checkpoint is refused on the page: {shown!r}")


def bench(driver, base, steps):
    rates = {}
    for batch in (32, 64):
        driver.get(f"{base}/?autostart=1&batch={batch}&grid_every=1000")
        wait_for(driver, f"batch {batch}", lambda s: s["step"] >= steps, 1800)
        history = driver.js("return window.gan.status.history;")
        rate = driver.js("return window.gan.status.imagesPerSec;")
        rates[batch] = rate
        print(f"bench: batch {batch}: {rate:.1f} img/s (last call of {len(history)})")
    return rates


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--page", default=os.path.join(ROOT, "target/web"))
    p.add_argument("--bin", default=os.path.join(ROOT, "target/debug/gan-gpu"))
    p.add_argument("--out", default=os.path.join(ROOT, "target/web-test"))
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    p.add_argument("--bench", type=int, metavar="STEPS", help="measure img/s after STEPS steps instead of testing")
    a = p.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)  # runs refuse to write over an earlier run's files
    os.makedirs(a.out)
    with open(os.path.join(ROOT, "webdriver.json")) as f:
        args = json.load(f)["goog:chromeOptions"]["args"] + ["--window-size=1100,800"]
    base = f"http://127.0.0.1:{serve(a.page)}"
    driver = Driver(a.chromedriver, args)
    try:
        if a.bench:
            bench(driver, base, a.bench)
        else:
            page_test(driver, base, a.bin, a.out)
            print("page test passed")
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
