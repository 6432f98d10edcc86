"""Screenshots of the console for the guides (docs/img/): the network contact's start page,
their address list, an address's action page (with its danger actions) and its workflow
diagram, in German and English, 1280 px wide.

It runs `ra-console demo` from a checkout (this one, or an older one with --source, for a
"before" picture) on a free port with a fresh instance, does what a network contact does
(adds an address and sends its challenge) in Chromium (Playwright), and saves PNGs. Each
picture is the top of the page (a 1280 x 800 window), so each stays well below 200 KB."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ADDRESS = "max.muster@itc.uni.example.org"
LIMIT = 200_000  # bytes per picture


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo(source: Path, instance: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(source)}  # that checkout's code, this venv
    server = subprocess.Popen(
        [sys.executable, "-m", "ra_console.cli.main", "demo", "--port", str(port),
         "--instance", str(instance)], cwd=source, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the demo from {source} did not start") from None
            time.sleep(1)
    server.terminate()
    raise SystemExit("the demo did not answer within 2 minutes")


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.locator(f"form:has(input[name='username'][value='{username}']) button").click()
    page.wait_for_load_state()


def add_address(page, base: str) -> str:
    """Add an address as the network contact and send its challenge; its action page."""
    page.goto(f"{base}/console/mailboxes/new/")
    page.fill("input[name=primary]", ADDRESS)
    page.fill("input[name=username]", "max")
    page.locator("input[type=submit]").first.click()
    page.wait_for_load_state()
    row = page.locator(f"tr:has-text('{ADDRESS}')").first
    href = row.locator("a[href*='actions/']").first.get_attribute("href")
    actions = href if href.startswith("/") else f"/console/mailboxes/{href}"
    page.goto(base + actions)
    page.locator("form[action*='send_challenge'] button").first.click()
    page.wait_for_load_state()
    return actions


def shoot(target, path: Path) -> None:
    target.screenshot(path=str(path))
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {size // 1024} KB")
    if size > LIMIT:
        print(f"  larger than {LIMIT // 1000} KB", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="the checkout to run (an older one for 'before' pictures)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. -before")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        server = start_demo(args.source.resolve(), Path(folder) / "instance", port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=["--no-sandbox", "--disable-gpu"])
                actions = None
                for lang in ("en", "de"):
                    context = browser.new_context(
                        locale=lang, extra_http_headers={"Accept-Language": lang},
                        viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    sign_in(page, base, "nk-itc")
                    actions = actions or add_address(page, base)
                    name = f"{lang}{args.suffix}.png"
                    page.goto(f"{base}/console/")
                    shoot(page, args.out / f"console-start-nk-{name}")
                    page.goto(f"{base}/console/mailboxes/")
                    shoot(page, args.out / f"console-addresses-{name}")
                    page.goto(base + actions)
                    shoot(page, args.out / f"console-actions-{name}")
                    diagram = page.locator(".workflow-diagram, svg:has(g.node)").first
                    if diagram.count():
                        diagram.scroll_into_view_if_needed()
                        shoot(diagram, args.out / f"console-diagram-{name}")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
