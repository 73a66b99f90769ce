"""Every tab in a real headless Chromium, as a new user meets it: desktop, phone and keyboard.

Screenshots go to a temporary folder, or to ``$IMGCR_SCREENSHOTS`` (``docs/img`` refreshes the
README's pictures).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import upload

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

# noise a browser prints that is not the app's (missing favicon/manifest, fonts it may not fetch offline)
BENIGN = re.compile(r"favicon|manifest\.json|Failed to load resource|fonts\.googleapis|net::ERR_")


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("IMGCR_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, url, width=1400, height=900):
    pg = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and not BENIGN.search(m.text) else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    pg.wait_for_selector("#run", timeout=60_000)
    return pg, errors


def wait_text(pg, selector: str, text: str, timeout=240_000):
    pg.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }",
                         arg=[selector, text], timeout=timeout)


def wait_compared(pg, timeout=240_000):
    """Until a streamed comparison is complete: every row in, no metric pending, the status no longer 'Working'."""
    pg.wait_for_function(
        "() => { const s = document.querySelector('#status'), t = document.querySelector('#summary');"
        " return s && t && !s.innerText.includes('Working') && !s.innerText.includes('waiting for')"
        " && t.innerText.includes('JPEG XL') && !t.innerText.includes('…'); }", timeout=timeout)


def test_compare_tab_as_a_new_user(browser, app_server, tmp_path, photo):
    pg, errors = open_page(browser, app_server, 1400, 900)
    # the page is never empty: a default comparison is shown without a click
    wait_text(pg, "#summary", "WebP", 120_000)
    # the Compare button is on screen at 900 px
    box = pg.locator("#run").bounding_box()
    assert box and box["y"] + box["height"] <= 900, box
    # only the control a mode needs, with its unit
    pg.get_by_label("Equal file size (bpp)").check()
    pg.wait_for_selector("#target", state="visible", timeout=10_000)
    assert "bpp" in pg.inner_text("#target") and not pg.locator("#quality").is_visible()
    assert float(pg.locator("#target input").input_value()) == 1.0
    pg.get_by_label("Same setting (quality 0-100)").check()
    pg.wait_for_selector("#quality", state="visible", timeout=10_000)
    # the published learned codecs (no weights here): what a download would fetch, said before anything is fetched
    pg.click("#zoo-download >> text=Published learned codecs")
    pg.click("#zoo-design input")
    pg.get_by_role("option", name=re.compile(r"^mbt2018: 8 files, about \d+ MB")).click()
    wait_text(pg, "#zoo-download", "one per published quality")
    assert "BSD-3-Clause-Clear" in pg.inner_text("#zoo-download") and "one position at a time" in pg.inner_text("#zoo-download")
    # upload, run, see the table fit 1400 px
    path = tmp_path / "my photo.png"
    Image.fromarray(photo).save(path)
    upload(pg, "#upload", path)  # the server may still be busy with the default comparison
    pg.click("#run")
    wait_text(pg, "#status", "my photo.png")
    wait_compared(pg)
    fits = pg.evaluate("() => { const t = document.querySelector('#summary table');"
                       " return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert fits[0] <= fits[1] + 2, fits  # every default column is on screen, no sideways scrolling
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(shots(tmp_path) / "tab_compare.png"))
    pg.get_by_label("Equal file size (bpp)").check()  # the verdict column fits too
    pg.wait_for_selector("#target", state="visible", timeout=10_000)
    pg.click("#run")
    wait_text(pg, "#summary", "met")
    wait_compared(pg)
    fits = pg.evaluate("() => { const t = document.querySelector('#summary table');"
                       " return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert fits[0] <= fits[1] + 2, fits
    pg.get_by_label("Same setting (quality 0-100)").check()
    pg.click("#run")
    wait_compared(pg)
    # switch the view: the slider's right image changes
    pg.wait_for_function("() => document.querySelectorAll('#slider img').length === 2", timeout=30_000)
    before = pg.locator("#slider img").nth(1).get_attribute("src")
    pg.get_by_label("Difference (amplified)").check()
    pg.wait_for_function("(b) => document.querySelectorAll('#slider img')[1].getAttribute('src') !== b", arg=before,
                         timeout=30_000)
    # click the original to zoom there: both crops at real pixels (2 screen px per image px), no smoothing
    img = pg.locator("#original img")
    img.scroll_into_view_if_needed()
    ib = img.bounding_box()
    pg.mouse.click(ib["x"] + ib["width"] * 0.25, ib["y"] + ib["height"] * 0.25)
    pg.wait_for_selector("#zoom-panel img.imgcr-pixels", timeout=30_000)
    sizes = pg.evaluate("() => [...document.querySelectorAll('#zoom-panel img.imgcr-pixels')].map(i => "
                        "[i.naturalWidth, i.getBoundingClientRect().width, getComputedStyle(i).imageRendering])")
    assert len(sizes) == 2 and all(abs(w - 2 * n) < 0.5 and r in ("pixelated", "crisp-edges") for n, w, r in sizes), sizes
    assert pg.locator("#zoom input[type=checkbox]").is_checked()
    # download a real file: its bytes are the table's size
    # no KiB-as-KB: Gradio's own size label is not shown; sizes are the table's bytes
    shown = pg.evaluate("() => [...document.querySelectorAll('#files td.download a')].map(a => "
                        "[getComputedStyle(a).fontSize, getComputedStyle(a, '::after').content])")
    assert shown and all(f == "0px" and "download" in c for f, c in shown), shown
    link = pg.locator("#files tr", has_text=".webp").locator("a").first
    with pg.expect_download(timeout=30_000) as info:
        link.click()
    got = tmp_path / info.value.suggested_filename
    info.value.save_as(got)
    rows = pg.evaluate("() => [...document.querySelectorAll('#summary [role=row]')].map(r => "
                       "[...r.querySelectorAll('[role=gridcell]')].map(c => c.innerText.trim()))")
    row = next(r for r in rows if "WebP" in r)
    assert str(got.stat().st_size) in [c.replace(",", "") for c in row], (row, got.stat().st_size)
    pg.locator("#zoom-panel").scroll_into_view_if_needed()
    pg.screenshot(path=str(shots(tmp_path) / "compare_zoom.png"))
    assert not errors, errors
    pg.close()


def download(pg, tmp_path, container: str, name_part: str) -> Path:
    """Click the download link of the file whose name contains ``name_part``; returns the saved file."""
    link = pg.locator(f"{container} tr", has_text=name_part).locator("a").first
    with pg.expect_download(timeout=30_000) as info:
        link.click()
    got = tmp_path / info.value.suggested_filename
    info.value.save_as(got)
    return got


def test_compare_at_ssimulacra2_80_with_a_file_encoded_elsewhere(browser, app_server, tmp_path, photo):
    """A codec engineer's question: which file reaches SSIMULACRA2 80 in the fewest bytes, mine included."""
    pg, errors = open_page(browser, app_server, 1400, 900)
    wait_text(pg, "#summary", "WebP", 120_000)  # the first visit's comparison is in
    crop = photo[:256, :384]
    path, mine = tmp_path / "crop.png", tmp_path / "mine.jpg"
    Image.fromarray(crop).save(path)
    Image.fromarray(crop).save(mine, quality=85)
    upload(pg, "#upload", path)
    upload(pg, "#elsewhere", mine)
    pg.get_by_label("Equal quality (SSIMULACRA2)").check()
    pg.wait_for_selector("#target", state="visible", timeout=10_000)
    assert "SSIMULACRA2" in pg.inner_text("#target") and float(pg.locator("#target input").input_value()) == 80.0
    pg.click("#run")
    wait_text(pg, "#status", "crop.png")
    wait_compared(pg)
    header = pg.evaluate("() => [...document.querySelectorAll('#summary thead th')].map(c => c.innerText.trim())")
    assert any("SSIMULACRA2" in h for h in header), header
    rows = pg.evaluate("() => [...document.querySelectorAll('#summary [role=row]')].map(r => "
                       "[...r.querySelectorAll('[role=gridcell]')].map(c => c.innerText.trim()))")
    col = next(i for i, h in enumerate(header) if "SSIMULACRA2" in h)
    jpeg = next(r for r in rows if r and r[0] == "JPEG")
    assert abs(float(jpeg[col]) - 80) <= 1.0 and "met" in " ".join(jpeg), jpeg
    outside = next(r for r in rows if r and r[0].startswith("Uploaded: mine.jpg"))
    assert str(mine.stat().st_size) in [c.replace(",", "") for c in outside], outside
    fits = pg.evaluate("() => { const t = document.querySelector('#summary table');"
                       " return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert fits[0] <= fits[1] + 2, fits  # the verdict column is on screen, the uploaded row included
    pg.screenshot(path=str(shots(tmp_path) / "compare_ssimulacra2.png"))
    assert not errors, errors
    pg.close()


def test_restore_tab(browser, app_server, tmp_path, weights_dir, photo):
    pg, errors = open_page(browser, app_server)
    pg.get_by_role("tab", name="Restore").click()
    pg.wait_for_selector("#restore-run", timeout=30_000)
    src = tmp_path / "mine.png"
    Image.fromarray(photo[:160, :200]).save(src)
    upload(pg, "#restore-upload", src)  # the shared server may still be busy with the previous test on 2 cores
    button = pg.locator("#restore-run").bounding_box()
    assert button is not None and button["y"] + button["height"] <= 900  # the run button is on the first screen
    pg.click("#restore-run")
    pg.wait_for_selector("#restore-status >> text=Working", timeout=2_000)  # the click shows at once...
    status = pg.locator("#restore-status").bounding_box()
    assert status is not None and 0 <= status["y"] < 900  # ...where the user is looking
    wait_text(pg, "#restore-table", "DnCNN-3")
    text = pg.inner_text("#restore-table")
    assert "degraded (jpeg:10)" in text and re.search(r"DnCNN-3[^\n]*\s\+?\d+\.\d+", text)
    assert "mine.png" in pg.inner_text("#restore-status")
    assert pg.locator("#restore-slider img").count() == 2
    got = download(pg, tmp_path, "#restore-files", "mine_dncnn3")
    with Image.open(got) as im:  # the restored image itself, lossless, at the input's size
        assert im.format == "PNG" and im.size == (200, 160)
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(shots(tmp_path) / "tab_restore.png"))
    assert not errors, errors
    pg.close()
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    pg, errors = open_page(browser, app_server)
    pg.get_by_role("tab", name="Restore").click()
    pg.wait_for_selector("#restore-run", timeout=30_000)  # the tab is rendered before its drop zone is used
    upload(pg, "#restore-upload", bad)
    pg.click("#restore-run")
    wait_text(pg, "#restore-status", "text file, not an image", timeout=60_000)  # the reason stays in the status line
    pg.wait_for_timeout(12_000)  # after the toast has gone
    assert "text file, not an image" in pg.inner_text("#restore-status") and "Working" not in pg.inner_text("#restore-status")
    pg.close()


def test_benchmark_and_learn_tabs(browser, app_server, tmp_path):
    pg, errors = open_page(browser, app_server)
    pg.get_by_role("tab", name="Benchmark").click()
    pg.wait_for_selector("#bench-run", timeout=30_000)
    pg.get_by_label("Settings (0-100, comma-separated; empty = each codec's sweep)").fill("30,60,90")
    pg.click("#bench-run")
    pg.wait_for_selector("#rd-plot .js-plotly-plot .scatterlayer .trace", timeout=240_000)
    assert "dB" in pg.inner_text("#bd-table")  # the BD columns carry units
    import json

    doc = json.loads(download(pg, tmp_path, "#bench-files", "results").read_text())
    assert f"{len(doc['records'])} records" in pg.inner_text("#bench-status")
    pg.locator("#bench-status").scroll_into_view_if_needed()
    pg.screenshot(path=str(shots(tmp_path) / "tab_benchmark.png"))
    pg.get_by_role("tab", name="Learn: how JPEG works").click()
    pg.click("#learn-show")
    pg.wait_for_selector("#learn-block >> text=Zig-zag scan", timeout=60_000)
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(shots(tmp_path) / "tab_learn.png"))
    assert not errors, errors
    pg.close()


def test_phone_viewport(browser, app_server, tmp_path):
    pg, errors = open_page(browser, app_server, 390, 844)
    wait_text(pg, "#summary", "WebP", 120_000)
    title, toggle = pg.locator("#header h1").bounding_box(), pg.locator("#present-toggle").bounding_box()
    assert title and toggle and title["width"] > 300 and toggle["y"] >= title["y"] + title["height"] - 1  # stacked
    overflow = pg.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390 + 1, overflow  # the page itself never scrolls sideways (tables scroll inside)
    pg.locator("#run").scroll_into_view_if_needed()
    assert pg.locator("#run").is_visible()
    pg.wait_for_selector("#compare-bars .js-plotly-plot g.annotation", timeout=120_000)
    pg.locator("#compare-bars").scroll_into_view_if_needed()
    def boxes(selector):
        return [b for b in (t.bounding_box() for t in pg.locator(f"#compare-bars {selector}").all()) if b]

    def apart(a, b):
        return (a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1
                or a["y"] + a["height"] <= b["y"] + 1 or b["y"] + b["height"] <= a["y"] + 1)

    titles, ticks, axis_titles = boxes("g.annotation"), boxes(".xtick text"), boxes("g[class^='g-y'][class$='title']")
    assert len(titles) >= 4 and ticks and len(axis_titles) == 4, (titles, axis_titles)  # four charts, on screen
    for i, a in enumerate(titles):  # no chart title runs into another, into the codec names or an axis title
        assert a["x"] >= -1 and a["x"] + a["width"] <= 390 + 1, a
        for b in titles[i + 1:] + ticks + axis_titles:
            assert apart(a, b), (a, b)
    pg.screenshot(path=str(shots(tmp_path) / "phone.png"))
    pg.locator("#compare-bars").screenshot(path=str(shots(tmp_path) / "phone_bars.png"))
    assert not errors, errors
    pg.close()


def test_main_controls_are_reachable_by_keyboard(browser, app_server):
    pg, _ = open_page(browser, app_server)
    reached = set()
    for _ in range(80):
        pg.keyboard.press("Tab")
        where = pg.evaluate("() => { const a = document.activeElement; const h = a && a.closest('[id]');"
                            " return h ? h.id : ''; }")
        reached.add(where)
        if {"run", "sample", "codecs"} <= reached:
            break
    assert {"run", "sample", "codecs"} <= reached, reached
    pg.keyboard.press("Enter")  # on the Compare button
    wait_text(pg, "#status", "astronaut")
    pg.close()
