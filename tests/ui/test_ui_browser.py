"""The chat page in a real headless chromium (Debian's, driven by Playwright): a question is
typed, the answer and its highlighted source appear, and the page is screenshotted to
tests/artifacts/chat.png. Skipped when chromium or playwright is missing."""
from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_question_answer_and_highlighted_source_in_chromium(engine_factory):
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip("chromium is not installed: run `apt-get install -y chromium` (or `make browser`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from ui.app import build_app, launch

    app = build_app(engine_factory())
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    launch(app, "127.0.0.1", port, block=False, quiet=True)
    requested: list[str] = []
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1360, "height": 900})
                page.on("request", lambda r: requested.append(r.url))
                page.goto(url, wait_until="networkidle")
                box = page.locator("#nr-question textarea")
                box.fill("Who chaired the talks in Istanbul?")
                box.press("Enter")
                mark = page.locator("#nr-sources mark").first
                mark.wait_for(state="visible", timeout=120_000)
                assert "Fidan" in mark.inner_text()
                chat = page.locator("#nr-chat")
                sync_api.expect(chat).to_contain_text("Fidan", timeout=30_000)
                link = chat.locator('a[href="#src-1"]').first
                sync_api.expect(link).to_have_text("[1]")
                assert link.get_attribute("target") in (None, "", "_self")
                link.click()
                assert page.evaluate("location.hash") == "#src-1"
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
            finally:
                browser.close()
    finally:
        app.close()
    elsewhere = [u for u in requested if not u.startswith((url, "data:", "blob:"))]
    assert elsewhere == [], f"the page fetched from elsewhere: {elsewhere[:5]}"
