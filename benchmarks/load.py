"""Load: a real ``python app.py`` on 127.0.0.1 driven by concurrent ``gradio_client`` users.

Each user loops over a mix of calls (compare, restore, bench) on small sample crops until the time is
up (or for a fixed number of calls). Reported: failed requests, latency p50/p95 per endpoint, the
server's resident memory sampled through the run (flat once the caches are full: ``--cache-mb`` sets the
result cache's memory bound so a short run reaches it), and how long requests waited in Gradio's queue (latency minus the same call alone).

Usage: python benchmarks/load.py [--users 10] [--seconds 120] [--cache-mb MB] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SAME = "Same setting (quality 0-100)"
SIZE = "Equal file size (KB)"


def _images(folder: Path, n: int = 4) -> list[str]:
    """Small crops of the CC0 samples, so a call is seconds, not minutes, on 2 cores."""
    from PIL import Image

    from imgcr.images import load_image
    from imgcr.samples import sample_names, sample_path

    out = []
    for i, name in enumerate(sample_names()[:n]):
        px = load_image(sample_path(name)).pixels[:192, :256]
        path = folder / f"load{i}.png"
        Image.fromarray(px).save(path)
        out.append(str(path))
    return out


def _call(client, kind: str, image: str, rng: random.Random):
    from gradio_client import handle_file

    if kind == "compare":
        codecs = rng.sample(["jpeg", "webp", "avif", "jpegxl", "jpeg2000", "png"], 3)
        mode, value = rng.choice([(SAME, None), (SIZE, 8)])
        return client.predict(handle_file(image), None, codecs, mode, rng.choice([30, 50, 75, 90]), value,
                              ["psnr", "ssim"], "", api_name="/compare")
    if kind == "restore":
        model = rng.choice(["lanczos", "bicubic", "jpeg-unet-color", "ffdnet-color"])
        chain = "down:2" if model in ("lanczos", "bicubic") else rng.choice(["jpeg:10", "noise:25"])
        return client.predict(handle_file(image), None, chain, 0, [model], 0, "auto", True, 50, 50, 128,
                              api_name="/restore")
    return client.predict([handle_file(image)], "my uploads only", ["jpeg", "webp"], "30,70", ["psnr"], 1, "jpeg",
                          "psnr", 70, api_name="/bench")


def run_load(url: str, users: int, seconds: float | None = None, calls: int | None = None, seed: int = 0,
             mix=("compare", "compare", "restore", "bench")) -> dict:
    """Drive ``url`` with ``users`` concurrent clients; returns per-call records and failures."""
    from gradio_client import Client

    folder = Path(tempfile.mkdtemp(prefix="imgcr-load-"))
    images = _images(folder)
    records: list[dict] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds if seconds else None

    def user(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        client = Client(url, verbose=False)
        n = 0
        while (calls is None or n < calls) and (deadline is None or time.monotonic() < deadline):
            kind = mix[(k + n) % len(mix)]
            t0 = time.monotonic()
            error = None
            try:
                _call(client, kind, rng.choice(images), rng)
            except Exception as exc:  # every failure is counted and reported, none hidden
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            with lock:
                records.append({"user": k, "kind": kind, "seconds": time.monotonic() - t0, "error": error,
                                "at": t0})
            n += 1

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"records": records, "failures": [r for r in records if r["error"]]}


def rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 1e6


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    from tests.conftest import start_app, stop_app  # the same launcher the tests use

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--cache-mb", type=float, help="the server's IMGCR_CACHE_MEMORY in MB (default: its own, 1000)")
    ap.add_argument("--sample", type=float, default=15, help="seconds between memory samples")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="imgcr-load-cache-")
    log = Path(cache) / "app.log"
    env = {**os.environ, "IMGCR_CACHE_DIR": cache}
    if args.cache_mb:
        env["IMGCR_CACHE_MEMORY"] = str(int(args.cache_mb * 1e6))
    proc, url = start_app(env, log)
    try:
        from gradio_client import Client

        alone = {}
        warm = Client(url, verbose=False)
        imgs = _images(Path(cache))
        for kind in ("compare", "restore", "bench"):  # each call once alone (warms models): the no-queue latency
            t0 = time.monotonic()
            _call(warm, kind, imgs[0], random.Random(1))
            t0 = time.monotonic()
            _call(warm, kind, imgs[1], random.Random(2))
            alone[kind] = time.monotonic() - t0
        before = rss_mb(proc.pid)
        samples: list[tuple[float, float]] = []  # (seconds into the run, MB)
        stop = threading.Event()
        t0 = time.monotonic()

        def sample() -> None:
            while not stop.wait(args.sample):
                samples.append((time.monotonic() - t0, rss_mb(proc.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = run_load(url, args.users, seconds=args.seconds)
        wall = time.monotonic() - t0
        stop.set()
        after = rss_mb(proc.pid)
    finally:
        stop_app(proc)
    recs = out["records"]
    bound = f"result cache bounded to {args.cache_mb:g} MB" if args.cache_mb else "default result cache bound (1 GB)"
    lines = [f"{args.users} concurrent gradio_client users for {args.seconds:.0f} s against `python app.py` "
             f"(2 requests per event at once, model runs under one shared limit of 2 on CPU, {bound}), "
             f"192x256 crops of the CC0 samples, a random mix of settings; "
             f"{platform.machine()}, {os.cpu_count()} cores",
             "", "| endpoint | calls | failed | p50 s | p95 s | alone s | mean queue wait s |", "|---|---|---|---|---|---|---|"]
    for kind in ("compare", "restore", "bench"):
        rs = [r for r in recs if r["kind"] == kind]
        ok = [r["seconds"] for r in rs if not r["error"]]
        if not rs:
            continue
        wait = max(0.0, statistics.mean(ok) - alone[kind]) if ok else float("nan")
        lines.append(f"| {kind} | {len(rs)} | {sum(1 for r in rs if r['error'])} | {_pct(ok, .5):.2f} | "
                     f"{_pct(ok, .95):.2f} | {alone[kind]:.2f} | {wait:.2f} |")
    lines += ["", f"{len(recs)} calls in {wall:.0f} s ({len(recs) / wall:.2f} calls/s), "
              f"{len(out['failures'])} failed. Server memory (RSS, with children): {before:.0f} MB before, "
              f"{after:.0f} MB at the end; every {args.sample:g} s: "
              + ", ".join(f"{mb:.0f}" for _, mb in samples) + " MB."]
    half = [mb for t, mb in samples if t >= wall / 2]
    if len(half) >= 2:
        lines.append(f"Second half: {min(half):.0f}-{max(half):.0f} MB "
                     f"({max(half) - min(half):.0f} MB spread, {half[-1] - half[0]:+.0f} MB first to last sample).")
    if out["failures"]:
        lines += ["", "Failures:"] + [f"- {r['kind']}: {r['error']}" for r in out["failures"][:10]]
    text = "\n".join(lines)
    print(text)
    if args.write:
        from docs_block import write_block

        if "## Load" not in args.write.read_text():
            with open(args.write, "a") as fh:
                fh.write("\n## Load (`benchmarks/load.py`)\n")
        write_block(args.write, "load", lines[0], "\n".join(lines[2:]))


if __name__ == "__main__":
    main()
