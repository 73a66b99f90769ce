"""One real headless Chromium (Debian's ``chromium`` via Playwright): upload, compare, see table and slider."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.conftest import upload

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

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
    upload(page, "#upload", path)
    page.click("#run")
    page.wait_for_function(  # rows land one by one, the slow metrics last: wait for the complete table
        "() => { const s = document.querySelector('#status').innerText, t = document.querySelector('#summary').innerText;"
        " return s.includes('dropped photo.png') && !s.includes('Working') && !s.includes('waiting for')"
        " && t.includes('JPEG XL') && !t.includes('…'); }",
        timeout=240_000,
    )
    table = page.inner_text("#summary")
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
    upload(page, "#upload", bad)
    page.click("#run")
    page.wait_for_selector("text=this is a text file, not an image", timeout=60_000)
    page.wait_for_timeout(12_000)  # the toast goes after ~10 s; the reason stays in the status line
    status = page.inner_text("#status")
    assert "this is a text file, not an image" in status and "Working" not in status


def test_benchmark_tab_draws_curves_and_bd_table(page):
    page.get_by_role("tab", name="Benchmark").click()
    page.wait_for_selector("#bench-run", timeout=30_000)
    page.get_by_label("Settings (0-100, comma-separated; empty = each codec's sweep)").fill("20,40,60,80")
    page.click("#bench-run")
    page.wait_for_selector("#rd-plot .js-plotly-plot .scatterlayer .trace", timeout=240_000)
    assert page.locator("#rd-plot .scatterlayer .trace").count() >= 5  # one curve per lossy codec
    import re

    bd = page.inner_text("#bd-table")  # the headers alone would say "BD-rate": look for a measured row
    assert re.search(r"WebP\s+-?\d+\.\d+", bd), bd
    assert "records" in page.inner_text("#bench-status")


def test_learn_tab_click_a_block_and_see_its_coefficients(page):
    page.get_by_role("tab", name="Learn: how JPEG works").click()
    page.click("#learn-show")
    page.wait_for_selector("#learn-block >> text=Zig-zag scan", timeout=60_000)
    first = page.inner_text("#learn-block")
    assert "Block (32, 32) of Y" in first  # the centre block of the 512 px sample
    img = page.locator("#learn-image img")
    page.wait_for_function("() => { const i = document.querySelector('#learn-image img');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)  # the PNG has loaded
    box = img.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.wait_for_function("(t) => !document.querySelector('#learn-block').innerText.includes(t)", arg="Block (32, 32)",
                           timeout=30_000)
    text = page.inner_text("#learn-block")
    assert "Block (6, 6) of Y" in text or "Block (6, 7) of Y" in text or "Block (7, 6) of Y" in text, text
    page.wait_for_selector("#learn-block-plot .js-plotly-plot", timeout=30_000)
    titles = page.inner_text("#learn-block-plot")
    assert "quantisation table (from the file)" in titles and "quantised: round(DCT ÷ table)" in titles
    assert "of 64 coefficients are zero" in text


def test_presentation_view_at_projector_size(browser, app_server):
    pg = browser.new_page(viewport={"width": 1920, "height": 1080})
    pg.goto(app_server.rstrip("/") + "/?view=present")
    pg.wait_for_selector("#run", timeout=60_000)
    pg.wait_for_function("() => document.body.classList.contains('imgcr-present')", timeout=30_000)
    # measured in the page until the layout has settled (large type, advanced controls hidden, a big slider)
    check = """() => {
        const px = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
        const s = document.querySelector('#slider').getBoundingClientRect();
        const adv = document.querySelector('.imgcr-advanced');
        return {prose: px('.prose'), button: px('#run'), w: s.width, h: s.height, hidden: !!adv && adv.offsetParent === null};
    }"""
    try:
        ok = "m.prose >= 20 && m.button >= 18 && m.w >= 1100 && m.h >= 0.6 * 1080 && m.hidden"
        pg.wait_for_function("() => { const m = (" + check + ")(); return " + ok + "; }", timeout=15_000)
    except Exception:
        pytest.fail(f"presentation view not as expected at 1920x1080: {pg.evaluate(check)}")
    pg.click("#present-toggle")  # and back to the normal view
    pg.wait_for_function("() => !document.body.classList.contains('imgcr-present')", timeout=10_000)
    pg.close()


def test_benchmark_charts_download_as_png_and_svg(browser, tmp_path, photo):
    from imgcr.bench import plots
    from imgcr.bench.sweep import Sweep, bench

    src = tmp_path / "p.png"
    Image.fromarray(photo[:96, :128]).save(src)
    doc = bench([src], Sweep.of(["jpeg", "webp"], [30, 70], ["psnr"]), workers=1)
    page_file = tmp_path / "charts.html"
    page_file.write_text(plots.charts_html(doc))
    pg = browser.new_page()
    pg.goto(page_file.as_uri())
    pg.wait_for_selector(".imgcr-export-svg", timeout=30_000)
    saved = {}
    for fmt in ("svg", "png"):
        with pg.expect_download(timeout=30_000) as info:
            pg.locator(f".imgcr-export-{fmt}").first.click()
        saved[fmt] = tmp_path / info.value.suggested_filename
        info.value.save_as(saved[fmt])
    assert saved["svg"].name == "imgcr-rd_psnr.svg" and saved["svg"].read_text().lstrip().startswith("<svg")
    assert saved["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pg.close()
