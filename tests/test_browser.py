"""One real headless Chromium (Debian's ``chromium`` via Playwright): upload, compare, see table and slider."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); the README's test command does it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, app_server):
    pg = browser.new_page(viewport={"width": 1400, "height": 1600})
    pg.goto(app_server)
    pg.wait_for_selector("#run", timeout=60_000)
    yield pg
    pg.close()


def test_upload_compare_and_see_table_and_slider(page, tmp_path, photo):
    path = tmp_path / "dropped photo.png"
    Image.fromarray(photo).save(path)
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_selector("#upload >> text=dropped photo.png", timeout=30_000)
    page.click("#run")
    page.wait_for_function(
        "() => document.querySelector('#results') && document.querySelector('#results').innerText.includes('JPEG XL')",
        timeout=240_000,
    )
    table = page.inner_text("#results")
    for label in ("JPEG", "PNG", "JPEG 2000", "WebP", "AVIF (aom)", "JPEG XL", "lossless"):
        assert label in table
    assert "dropped photo.png" in page.inner_text("#status")
    images = page.locator("#slider img")
    assert images.count() == 2
    srcs = [images.nth(i).get_attribute("src") for i in range(2)]
    assert all(".png" in s for s in srcs), srcs
    # drag the slider handle: the page keeps working
    box = page.locator("#slider").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert page.locator("#files a").count() >= 6  # the real encoded files are offered for download
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)


def test_bad_upload_shows_a_message(page, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    page.set_input_files("#upload input[type=file]", str(bad))
    page.wait_for_selector("#upload >> text=notes.txt", timeout=30_000)
    page.click("#run")
    page.wait_for_selector("text=this is a text file, not an image", timeout=60_000)


def test_benchmark_tab_draws_curves_and_bd_table(page):
    page.get_by_role("tab", name="Benchmark").click()
    page.wait_for_selector("#bench-run", timeout=30_000)
    page.get_by_label("Settings (0-100, comma-separated; empty = each codec's sweep)").fill("20,40,60,80")
    page.click("#bench-run")
    page.wait_for_selector("#rd-plot .js-plotly-plot .scatterlayer .trace", timeout=240_000)
    assert page.locator("#rd-plot .scatterlayer .trace").count() >= 5  # one curve per lossy codec
    assert "BD-rate" in page.inner_text("#bd-table") or "WebP" in page.inner_text("#bd-table")
    assert "records" in page.inner_text("#bench-status")
