"""The course in a real JupyterLab, driven by headless Chromium: Run All, then use the dashboard.

It needs Debian's ``chromium`` (``.ci/run`` installs it) and Playwright from the lock; where
Chromium is missing it is skipped with that reason. It serves a copy of the notebooks, so
JupyterLab's autosave can never touch the stored ones.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
IDLE = "() => document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'idle'"
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.innerText.trim());
    // a collapsed (solution) cell shows no prompt at all
    return prompts.some(p => p !== '') && prompts.every(p => p === '' || /^\\[\\d+\\]:$/.test(p));
}"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab on 127.0.0.1 serving a copy of notebooks/; yields its base URL."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    home = tmp_path_factory.mktemp("jupyter-home")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings")}
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell (no windowing), so the page holds all prompts and outputs at once.
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_lesson_00_runs_all_and_its_dashboard_redraws(jupyterlab: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{jupyterlab}/lab/tree/notebooks/00_start_here.ipynb")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_function(IDLE, timeout=60_000)
            page.click(".lm-MenuBar-itemLabel:text-is('Edit')")
            page.click(".lm-Menu-itemLabel:text-is('Clear Outputs of All Cells')")
            page.wait_for_function(f"() => !({ALL_CELLS_RAN})()", timeout=10_000)
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
            page.wait_for_function(ALL_CELLS_RAN, timeout=240_000)
            page.wait_for_function(IDLE, timeout=60_000)

            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            assert page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count() == 0
            status = page.locator(".widget-html").first
            assert "events before round 2: none" in status.inner_text()
            image = page.locator(".widget-image").first
            before = image.get_attribute("src")

            page.locator("button:has-text('kill a server')").click()
            page.wait_for_function(
                "() => document.querySelector('.widget-html')?.innerText.includes('kill s1')", timeout=30_000)
            assert image.get_attribute("src") != before

            page.locator("button:has-text('reset')").click()
            page.wait_for_function(
                "() => document.querySelector('.widget-html')?.innerText.includes('events before round 2: none')",
                timeout=30_000)
        finally:
            browser.close()
