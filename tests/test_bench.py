"""Sweeps: per-image records, identical results sequentially, on a pool and on Dask; resumable; CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from imgcr.bench import plots
from imgcr.bench.rd import bd_table, curves
from imgcr.bench.sweep import Sweep, bench, load_results, plan, save_csv, save_json
from imgcr.errors import ImgcrError

ROOT = Path(__file__).resolve().parent.parent
CODECS = ["jpeg", "webp", "png"]
QUALITIES = [20, 40, 60, 80]
TIMING = {"encode_ms", "decode_ms", "cached"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory, photo):
    d = tmp_path_factory.mktemp("set")
    Image.fromarray(photo[:200, :240]).save(d / "a.png")
    Image.fromarray(photo[300:, 200:]).save(d / "b.png")
    (d / "notes.txt").write_text("not an image, skipped by suffix")
    return d


@pytest.fixture()
def fresh_cache(monkeypatch, tmp_path):
    """An empty result cache for this process and for any worker it spawns."""
    import imgcr.cache

    monkeypatch.setenv("IMGCR_CACHE_DIR", str(tmp_path / "fresh-cache"))
    monkeypatch.setattr(imgcr.cache, "_default", None)


def strip_timing(doc):
    """Records without wall-clock fields (timings differ run to run; every other number must not)."""
    return [{k: v for k, v in r.items() if k not in TIMING} for r in doc["records"]]


@pytest.fixture(scope="module")
def sequential(folder):
    return bench([folder], Sweep.of(CODECS, QUALITIES, ("psnr", "ssim")))


def test_records_are_per_image_codec_setting(sequential, folder):
    recs = sequential["records"]
    assert len(recs) == 2 * (2 * len(QUALITIES) + 1)  # png is lossless: one record per image
    r = recs[0]
    assert set(r) >= {"image", "codec", "quality", "params", "bytes", "bpp", "psnr", "ssim", "encode_ms", "decode_ms"}
    assert {i["name"] for i in sequential["images"]} == {"a.png", "b.png"}
    assert all(len(i["digest"]) == 64 and i["width"] > 0 for i in sequential["images"])
    assert set(sequential["libraries"]) == set(CODECS) and sequential["imgcr"]
    assert sequential["effective_options"]["jpeg"]["subsampling"] == "4:2:0"
    assert sequential["machine"]["cpus"] >= 1
    png = [r for r in recs if r["codec"] == "png"]
    assert all(r["quality"] is None and r["psnr"] is None and r["lossless"] for r in png)


def test_process_pool_gives_identical_records(sequential, folder, fresh_cache):
    pooled = bench([folder], Sweep.of(CODECS, QUALITIES, ("psnr", "ssim")), workers=2)
    assert not any(r["cached"] for r in pooled["records"])  # really computed again, in the workers
    assert strip_timing(pooled) == strip_timing(sequential)


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_records(sequential, folder, fresh_cache):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = bench([folder], Sweep.of(CODECS, QUALITIES, ("psnr", "ssim")), scheduler=client)
        address = cluster.scheduler_address
        by_address = bench([folder], Sweep.of(["jpeg"], QUALITIES, ("psnr",)), scheduler=address)
    assert not any(r["cached"] for r in on_dask["records"])
    assert strip_timing(on_dask) == strip_timing(sequential)
    assert len(by_address["records"]) == 2 * len(QUALITIES)


@pytest.mark.slow
def test_scheduler_local_starts_a_tuned_cluster(sequential, folder, fresh_cache):
    """`--scheduler local:2`: imgcr's own LocalCluster (no stack profiler; jobs tune the allocator), same records."""
    from distributed import Client

    from imgcr.bench.sweep import local_cluster, tune_malloc

    with local_cluster(1) as cluster, Client(cluster) as client:
        seen = client.run(lambda: __import__("dask").config.get("distributed.worker.profile.enabled"))
        polling = client.run(lambda: __import__("dask").config.get("distributed.admin.system-monitor.interval"))
        tuned = client.run(tune_malloc)
    assert all(enabled is False for enabled in seen.values()), seen
    assert all(interval == "5s" for interval in polling.values()), polling
    assert all(tuned.values()), tuned
    on_local = bench([folder], Sweep.of(CODECS, QUALITIES, ("psnr", "ssim")), scheduler="local:2")
    assert strip_timing(on_local) == strip_timing(sequential)


def test_rerun_is_served_from_the_cache(folder, sequential):
    again = bench([folder], Sweep.of(CODECS, QUALITIES, ("psnr", "ssim")))
    assert all(r["cached"] for r in again["records"])
    assert strip_timing(again) == strip_timing(sequential)


def test_default_sweeps_are_per_codec(folder):
    jobs = plan([folder], Sweep.of(["jpeg", "jpeg2000", "png"]))
    sweeps = {j.codec: j.qualities for j in jobs}
    assert len(sweeps["jpeg"]) == 8 and sweeps["jpeg2000"] != sweeps["jpeg"] and len(sweeps["png"]) == 1


def test_bad_paths_are_clear(tmp_path):
    with pytest.raises(ImgcrError, match="no such file"):
        plan([tmp_path / "nope"], Sweep.of(["jpeg"]))
    with pytest.raises(ImgcrError, match="no images found"):
        plan([tmp_path], Sweep.of(["jpeg"]))


def test_curves_average_at_equal_setting(sequential):
    cs = curves(sequential["records"], "psnr")
    assert set(cs) == {"jpeg", "webp"}
    p = cs["jpeg"][0]
    recs = [r for r in sequential["records"] if r["codec"] == "jpeg" and r["quality"] == p["quality"]]
    assert p["images"] == 2 and p["bpp"] == pytest.approx(sum(r["bpp"] for r in recs) / 2)
    assert [q["bpp"] for q in cs["jpeg"]] == sorted(q["bpp"] for q in cs["jpeg"])
    one = curves(sequential["records"], "psnr", image="a.png")
    assert one["jpeg"][0]["images"] == 1


def test_bd_table_against_anchor(sequential):
    rows = {r["codec"]: r for r in bd_table(sequential["records"], "jpeg", "psnr")}
    assert rows["webp"]["bd_rate"] is not None and rows["webp"]["bd_rate"] < 0  # WebP beats JPEG here
    assert rows["png"]["bd_rate"] is None and "lossless" in rows["png"]["reason"]


def test_json_and_csv_roundtrip(sequential, tmp_path):
    save_json(sequential, tmp_path / "r.json")
    save_csv(sequential, tmp_path / "r.csv")
    assert load_results(tmp_path / "r.json")["records"] == sequential["records"]
    with open(tmp_path / "r.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(sequential["records"]) and int(rows[0]["bytes"]) == sequential["records"][0]["bytes"]
    assert json.loads(rows[0]["params"]) == sequential["records"][0]["params"]
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ImgcrError, match="not an imgcr results file"):
        load_results(tmp_path / "bad.json")


def test_figures_have_a_trace_per_codec(sequential):
    fig = plots.rd_figure(sequential["records"], "ssim")
    assert {t.name for t in fig.data} == {"JPEG", "WebP"}
    assert "bpp" in fig.data[0].hovertemplate and "setting" in fig.data[0].hovertemplate
    figs = plots.all_figures(sequential)
    assert {"rd_psnr", "rd_ssim", "size", "timing", "quality", "heatmap", "timing_vs_quality"} <= set(figs)
    html = plots.charts_html(sequential, bd_rows=bd_table(sequential["records"]))
    assert html.count("<script") >= 7 and "BD-rate" in html and 'src="https://cdn.plot.ly' not in html
    assert html.count("Plotly.downloadImage") == len(figs) and "imgcr-rd_psnr" in html


def test_rd_csv_is_the_charted_data(sequential):
    rows = list(csv.DictReader(io.StringIO(plots.rd_csv(sequential["records"], ["psnr", "ssim"]))))
    pts = curves(sequential["records"], "ssim")
    ssim_jpeg = [r for r in rows if r["codec"] == "jpeg" and r["metric"] == "ssim"]
    assert len(ssim_jpeg) == len(pts["jpeg"])
    assert [float(r["bpp"]) for r in ssim_jpeg] == pytest.approx([p["bpp"] for p in pts["jpeg"]], abs=1e-6)
    assert [float(r["value"]) for r in ssim_jpeg] == pytest.approx([p["value"] for p in pts["jpeg"]], abs=1e-6)


def test_cli_bench_bdrate_plot(folder, tmp_path):
    env = os.environ.copy()

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "imgcr", *map(str, args)], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = tmp_path / "results.json"
    run("bench", folder, "--codecs", "jpeg,webp", "--qualities", "20,40,60,80", "--metrics", "psnr",
        "--workers", "2", "--out", out, "--csv", tmp_path / "r.csv")
    doc = json.loads(out.read_text())
    assert len(doc["records"]) == 16 and (tmp_path / "r.csv").exists()
    bd = json.loads(run("bd-rate", out, "--anchor", "jpeg", "--metric", "psnr", "--json"))
    assert bd["anchor"] == "jpeg" and bd["metric"] == "psnr"
    assert set(bd["results"][0]) >= {"codec", "bd_rate", "bd_metric", "overlap"}
    assert "webp" in run("bd-rate", out)
    run("plot", out, "--out", tmp_path / "charts.html")
    assert (tmp_path / "charts.html").stat().st_size > 100_000
    # the CLI can leave every file the Benchmark tab offers, through the same writer
    cli = tmp_path / "cli"
    run("bench", folder, "--codecs", "jpeg,webp", "--qualities", "20,40,60,80", "--metrics", "psnr", "--out",
        cli / "results.json", "--csv", cli / "results.csv", "--rd-csv", cli / "rd_curves.csv", "--charts", cli / "charts.html")
    from imgcr.bench.artefacts import Artefacts, write_artefacts

    tab = write_artefacts(json.loads((cli / "results.json").read_text()), Artefacts.in_folder(tmp_path / "tab"))
    assert sorted(p.name for p in cli.iterdir()) == sorted(p.name for p in tab)
    assert (cli / "rd_curves.csv").read_text() == (tmp_path / "tab" / "rd_curves.csv").read_text()
    assert "<h2>BD-rate</h2>" in (cli / "charts.html").read_text()
    bad = subprocess.run([sys.executable, "-m", "imgcr", "bd-rate", tmp_path / "missing.json"], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_killed_worker_is_reported_the_rest_finish_and_a_rerun_resumes(tmp_path):
    """Kill one worker process of a real `imgcr bench --workers 2` mid-run."""
    import json
    import subprocess
    import sys
    import time

    import psutil

    from imgcr.samples import sample_paths
    from tests.conftest import ROOT

    env = {**os.environ, "IMGCR_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "imgcr", "bench", *map(str, sample_paths()[:3]), "--codecs", "jpeg,avif,jpegxl",
           "--qualities", "20,50,80", "--metrics", "psnr", "--workers", "2", "--out", str(tmp_path / "r.json")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    victim = None
    deadline = time.time() + 60
    while victim is None and time.time() < deadline:  # a worker that is busy encoding
        workers = [c for c in parent.children(recursive=True)
                   if "spawn_main" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
        busy = [c for c in workers if c.cpu_percent(interval=0.2) > 5]
        victim = busy[0] if busy else None
    assert victim is not None, "no busy worker seen"
    victim.kill()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "worker process died" in err  # reported
    doc = json.loads((tmp_path / "r.json").read_text())
    assert len(doc["records"]) == 3 * 3 * 3  # every other job, and the killed one's re-run, finished
    rerun = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0
    again = json.loads((tmp_path / "r.json").read_text())
    assert all(r["cached"] for r in again["records"])  # the re-run resumed from the result cache


def test_worker_processes_tune_the_allocator():
    """The cause of Dask's slowness here (MALLOC_TRIM_THRESHOLD_ from its nanny): workers set glibc's thresholds."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("from imgcr.bench.sweep import tune_malloc; import platform; "
            "print(tune_malloc() if platform.libc_ver()[0] == 'glibc' else 'skip')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}, check=True)
    assert out.stdout.strip() in ("True", "skip")


def test_the_bd_table_on_the_chart_page_needs_psnr(sequential, tmp_path):
    """One check for 'was PSNR measured', used by the CLI's plot and the tab alike."""
    from imgcr.bench.artefacts import Artefacts, psnr_measured, write_artefacts

    no_psnr = {**sequential, "metrics": ["ssim"], "records": [{**r, "psnr": None} for r in sequential["records"]]}
    assert psnr_measured(sequential) and not psnr_measured(no_psnr)
    (page,) = write_artefacts(no_psnr, Artefacts(charts_html=tmp_path / "c.html"))
    assert "<h2>BD-rate</h2>" not in page.read_text()
