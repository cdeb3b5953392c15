"""The dashboard in a real browser: start the server, drive headless Chromium as a user would.

Choose scenarios, change a rule, run, switch language, explain a person — and assert on what the page
shows. Screenshots go to ``artifacts/screenshots/`` (CI keeps them as artifacts); with
``HUKOU_UPDATE_SCREENSHOT=1`` the English compare page is also written to ``docs/screenshot.png``.

Uses Debian's ``chromium`` (``./dev test`` installs it) through the ``playwright`` package; no browser
is downloaded. Without ``/usr/bin/chromium`` the test is skipped on a developer's machine and fails in
CI (``CI=true``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ui.conftest import APP, ROOT

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
README_SCREENSHOT = ROOT / "docs" / "screenshot.png"
SCREENSHOT_MAX_BYTES = 300_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
BRIEFING_SECTIONS = (
    "app.dash.briefing.summary",
    "app.dash.briefing.key_figures",
    "app.headline.indicator",
    "app.briefing.scenarios",
    "app.briefing.charts",
    "app.briefing.sources",
    "app.briefing.link",
)
"""Sections of the briefing (by label key) that its PDF must contain, as text."""

pytestmark = pytest.mark.slow


def _require_browser() -> None:
    reasons = []
    if not CHROMIUM.exists():
        reasons.append(f"{CHROMIUM} is missing (install Debian's chromium: ./dev test does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("the playwright package is missing (pip install -e '.[dev]')")
    if reasons:
        message = "; ".join(reasons)
        if IN_CI:
            pytest.fail(f"the browser test must run in CI: {message}")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A dashboard server on a free port, stopped (by its process id) at the end."""
    _require_browser()
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "HUKOU_DASHBOARD_DIR": str(tmp_path_factory.mktemp("dashboard"))}
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                pytest.fail(f"the dashboard server did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        yield context.new_page()
        browser.close()


def _settle(page, timeout: float = 120_000) -> None:
    """Wait until the script run that the last action started has finished."""
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(300)


def _screenshot(page, name: str, height: int, start=None) -> Path:
    """A screenshot ``height`` pixels high, from the top or from element ``start`` (Streamlit scrolls inside
    its main area, so a full-page screenshot would show only the window)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": height})
    _settle(page)
    if start is not None:
        start.evaluate("element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


def _small_png(source: Path, target: Path) -> None:
    """A palette PNG of the screenshot, small enough for the README."""
    from PIL import Image

    image = Image.open(source).convert("RGB")
    for colours in (128, 64, 32):
        buffer = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(buffer, format="PNG", optimize=True)
        if buffer.tell() <= SCREENSHOT_MAX_BYTES:
            break
    target.write_bytes(buffer.getvalue())


def _briefing_text(page, button_name: str, tmp_path: Path) -> str:
    """Download the briefing PDF with the button, check its pages and return its text (pdftotext)."""
    with page.expect_download(timeout=180_000) as download:
        page.get_by_role("button", name=button_name).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+[12]\n", info), info
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_user_compares_edits_runs_switches_language_and_explains(server, page, tmp_path):
    from playwright.sync_api import expect

    from ui.i18n import t

    base, log = server
    page.goto(f"{base}/?lang=en&agents=2000&months=36&seeds=2")
    expect(page.get_by_role("heading", name="Compare settlement policies")).to_be_visible(timeout=90_000)
    _settle(page)
    _screenshot(page, "01-compare-en-start", 1000)

    # Choose a variant; the shared-parameters file is not offered.
    page.get_by_role("combobox", name="Variant 1").click()
    expect(page.get_by_role("option", name=re.compile("cumulative counting only"))).to_be_visible()
    assert page.get_by_role("option", name=re.compile("china-migrants")).count() == 0
    page.get_by_role("option", name=re.compile("cumulative counting only")).click()
    _settle(page)
    expect(page.get_by_role("combobox", name="Variant 1")).to_have_value(re.compile("ningbo-2019-counting-only"))

    # Change a rule in its channel's tab: residence and employment asks for 36 months instead of 60.
    page.get_by_text("Edit a variant's rules").click()
    page.get_by_role("tab", name="residence and employment").click()
    panel = page.get_by_role("tabpanel", name="residence and employment")
    months = panel.get_by_role("spinbutton", name="Months required").first
    months.fill("36")
    months.press("Enter")
    _settle(page)
    expect(page.get_by_text("cumulative: 36 of the last 72 months").first).to_be_attached()
    assert "e1=" in page.url
    # A window shorter than the months is explained next to the field, and Run waits for a fix.
    window = panel.get_by_role("spinbutton", name="Within the last (months)").first
    window.fill("24")
    window.press("Enter")
    _settle(page)
    expect(panel.get_by_text("must be at least the months required (36)")).to_be_visible()
    expect(page.get_by_role("button", name="Run the comparison")).to_be_disabled()
    _screenshot(page, "02-compare-en-invalid-edit", 1000, start=page.get_by_text("Edit a variant's rules"))
    window.fill("72")
    window.press("Enter")
    _settle(page)
    expect(page.get_by_role("button", name="Run the comparison")).to_be_enabled()

    # Run: progress beside the button, then the answer in words at the top of the results.
    page.get_by_role("button", name="Run the comparison").click()
    expect(page.get_by_text("Done: the results are below.")).to_be_visible(timeout=180_000)
    _settle(page, timeout=180_000)
    expect(page.get_by_text(re.compile(r"^Under Ningbo 2019 variant.*more people settle than under"))).to_be_visible()
    expect(page.get_by_role("heading", name="Settlements over time by channel")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(12, timeout=60_000)
    expect(page.get_by_text(t("app.dash.waiting_zero", "en"))).to_be_visible()
    expect(page.get_by_role("button", name="Briefing (PDF)")).to_be_visible()
    _assert_no_exception(page)
    _screenshot(page, "03-compare-en-results", 1000, start=page.get_by_role("heading", name="Results"))
    english = _screenshot(page, "04-compare-en-charts", 1700, start=page.get_by_role("heading", name="Results"))
    _screenshot(page, "05-compare-en-age", 1000, start=page.get_by_role("heading", name="Persons settled by age band"))
    assert "run=1" in page.url

    text = _briefing_text(page, "Briefing (PDF)", tmp_path)
    for key in BRIEFING_SECTIONS:
        assert _flat(t(key, "en")) in _flat(text), key
    assert "more people settle than under" in " ".join(text.split())
    assert "ningbo-2019-counting-only" in _flat(text) and "run=1" in _flat(text)

    # Switch language: every label, the select boxes, the sentence and the charts follow.
    page.locator('[data-testid="stSidebar"]').get_by_text("中文").click()
    expect(page.get_by_role("heading", name="比较落户政策")).to_be_visible(timeout=60_000)
    _settle(page, timeout=180_000)
    expect(page.get_by_role("combobox", name="比较方案1")).to_have_value(re.compile("宁波2019新政变体：仅改为累计缴纳"))
    expect(page.get_by_role("combobox", name="基准方案")).to_have_value(re.compile("宁波2018年户口准入条件"))
    expect(page.get_by_role("heading", name="主要差异")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^与宁波2018年户口准入条件（连续缴纳）相比.*约多.*万人落户"))).to_be_visible()
    expect(page.get_by_role("heading", name="各渠道累计落户人数")).to_be_visible()
    expect(page.get_by_role("button", name="运行比较")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(12, timeout=60_000)
    _assert_no_exception(page)
    _screenshot(page, "06-compare-zh-results", 1000, start=page.get_by_role("heading", name="结果"))
    _screenshot(page, "07-compare-zh-charts", 1700, start=page.get_by_role("heading", name="结果"))
    assert "lang=zh" in page.url

    text = _briefing_text(page, "简报（PDF）", tmp_path)
    for key in BRIEFING_SECTIONS:
        assert _flat(t(key, "zh")) in _flat(text), key
    assert "约多" in text and "seed 000" not in text

    # Reopen the link: the same comparison comes back (from the cache), edits included.
    link = page.url
    page.goto(link)
    expect(page.get_by_role("heading", name="主要差异")).to_be_visible(timeout=60_000)
    _settle(page, timeout=180_000)
    combobox = page.get_by_role("combobox", name="比较方案1")
    expect(combobox).to_have_value(re.compile("ningbo-2019-counting-only"), timeout=60_000)
    expect(page.get_by_text("48个月内累计缴纳36个月").first).to_be_attached()  # not the edit: the preset's own
    expect(page.get_by_text("72个月内累计缴纳36个月").first).to_be_attached()  # the edit

    # Explain a person under each scenario.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("个人落户解读").click()
    expect(page.get_by_role("heading", name="个人落户解读")).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="人员或家庭类型").click()
    page.get_by_role("option", name="有家庭的工厂工人，断缴一次").click()
    _settle(page)
    expect(page.get_by_role("heading", name="何时可以落户？")).to_be_visible()
    expect(page.locator('[data-testid="stImage"] img').first).to_be_visible()
    _screenshot(page, "08-explain-zh", 1500)

    server_log = log.read_text()
    assert "Traceback" not in server_log, server_log
    assert "missing from font" not in server_log, server_log
    assert "missing ScriptRunContext" not in server_log, server_log
    if os.environ.get("HUKOU_UPDATE_SCREENSHOT") == "1":
        _small_png(english, README_SCREENSHOT)
        assert README_SCREENSHOT.stat().st_size <= SCREENSHOT_MAX_BYTES
    shutil.copy(english, SCREENSHOTS / "latest.png")


def test_a_broken_upload_shows_its_error_and_run_still_works(server, page):
    from playwright.sync_api import expect

    base, log = server
    broken = (
        "id: bad\ntitle: {zh: 坏, en: bad}\nextends: ningbo-2018-baseline\nsource: test\ncities:\n  ningbo:\n"
        "    migrantz: 3\n"
    )
    page.goto(f"{base}/?lang=en&agents=1000&months=24&seeds=2")
    expect(page.get_by_role("heading", name="Compare settlement policies")).to_be_visible(timeout=90_000)
    _settle(page)
    page.get_by_text("Upload a scenario file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "broken.yaml", "mimeType": "application/x-yaml", "buffer": broken.encode()}]
    )
    _settle(page)
    expect(page.get_by_text("broken.yaml is not a valid scenario file")).to_be_visible()
    expect(page.get_by_text("did you mean 'migrants'?").first).to_be_attached()
    _screenshot(page, "09-upload-broken-en", 1000, start=page.get_by_text("Upload a scenario file"))
    page.get_by_role("button", name="Run the comparison").click()
    expect(page.get_by_text("Done: the results are below.")).to_be_visible(timeout=180_000)
    _settle(page, timeout=180_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=60_000)
    _assert_no_exception(page)
    server_log = log.read_text()
    assert "Traceback" not in server_log, server_log


def test_the_calibration_page_in_both_languages(server, page):
    from playwright.sync_api import expect

    base, log = server
    for lang, title, targets, results in (
        ("zh", "模型校准：模型与公布数据的对照", "公布数据（校准目标）", "存档的校准结果"),
        ("en", "Calibration: the model against published figures", "Published figures (targets)", "Results of record"),
    ):
        page.goto(f"{base}/calibration?lang={lang}")
        expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=90_000)
        _settle(page)
        expect(page.get_by_role("heading", name=targets)).to_be_visible()
        expect(page.get_by_text("settled_2019_reform").first).to_be_attached()
        # Published results (calibration/results/) or, before a fit is published, the command to produce them.
        expect(page.get_by_text("--publish").first).to_be_attached()
        _screenshot(page, f"calibration-{lang}", 1800)
        _screenshot(page, f"calibration-{lang}-results", 1800, start=page.get_by_role("heading", name=results))
    server_log = log.read_text()
    assert "Traceback" not in server_log, server_log
    assert "missing from font" not in server_log, server_log
