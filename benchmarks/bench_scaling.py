"""Images/s for a Kodak sweep with 1 and 2 local workers and on a Dask LocalCluster.

Each configuration starts from an empty result cache, so every encode, decode and
metric is really computed. Also reports where the time goes (encode, decode, the
rest = metrics + image loading + bookkeeping) from the 1-worker run, and keeps that
run's records for the public-record comparison (benchmarks/kodak_report.py).

Usage: python benchmarks/bench_scaling.py [--images DIR] [--codecs ...] [--metrics psnr,ssim]
                                          [--keep docs/kodak24_results.json] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

import imgcr.cache  # noqa: E402
from imgcr.bench.sweep import Sweep, bench, local_cluster, plan, save_json, tune_malloc  # noqa: E402

DEFAULT_IMAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "Kodak24"


def fresh_cache() -> None:
    os.environ["IMGCR_CACHE_DIR"] = tempfile.mkdtemp(prefix="imgcr-bench-cache-")
    imgcr.cache._default = None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    ap.add_argument("--codecs", default="jpeg,png,jpeg2000,webp,avif,jpegxl")
    ap.add_argument("--metrics", default="psnr,ssim")
    ap.add_argument("--configs", default="1,2,dask2,2,dask2",
                    help="1 = one process, N = N workers, daskN = LocalCluster(N); a repeated one runs again, interleaved")
    ap.add_argument("--keep", type=Path, help="save the 1-worker results here")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    tune_malloc()  # as `python -m imgcr bench` does (its workers do it too)
    codecs, metric_ids = args.codecs.split(","), args.metrics.split(",")
    jobs = plan([args.images], Sweep.of(codecs, None, metric_ids))
    n_images = len({j.image_name for j in jobs})
    n_records = sum(len(j.qualities) for j in jobs)
    rows, first = [], None
    for config in args.configs.split(","):
        fresh_cache()
        t0 = time.perf_counter()
        if config.startswith("dask"):
            from distributed import Client

            n = int(config[4:])
            with local_cluster(n) as cluster, Client(cluster) as client:
                t0 = time.perf_counter()  # the cluster's start-up is not the sweep's time
                doc = bench([args.images], Sweep.of(codecs, None, metric_ids), scheduler=client)
        else:
            doc = bench([args.images], Sweep.of(codecs, None, metric_ids), workers=int(config))
        wall = time.perf_counter() - t0
        assert not any(r["cached"] for r in doc["records"])
        rows.append((config, wall, n_images / wall, len(doc["records"]) / wall))
        print(f"{config}: {wall:.1f} s, {n_images / wall:.3f} images/s", flush=True)
        if first is None:
            first = (doc, wall)
            if args.keep:
                save_json(doc, args.keep)
    doc, wall = first
    enc, dec = defaultdict(float), defaultdict(float)
    for r in doc["records"]:
        enc[r["codec"]] += r["encode_ms"] / 1000
        dec[r["codec"]] += r["decode_ms"] / 1000
    base = rows[0][1]
    lines = ["| run | wall s | images/s | records/s | speed-up |", "|---|---|---|---|---|"]
    configs = [r[0] for r in rows]
    seen: dict[str, int] = defaultdict(int)
    for c, w, ips, rps in rows:
        seen[c] += 1
        label = f"Dask LocalCluster, {c[4:]} workers" if c.startswith("dask") else f"{c} worker(s)"
        if configs.count(c) > 1:  # a configuration run more than once (interleaved with the others): say which
            label += f", run {seen[c]}"
        lines.append(f"| {label} | {w:.1f} | {ips:.3f} | {rps:.2f} | {base / w:.2f}x |")
    lines += ["", "Where the 1-worker run's time went:", "", "| codec | encode s | decode s |", "|---|---|---|"]
    lines += [f"| {c} | {enc[c]:.1f} | {dec[c]:.1f} |" for c in codecs]
    rest = wall - sum(enc.values()) - sum(dec.values())
    lines += [f"| **all** | {sum(enc.values()):.1f} | {sum(dec.values()):.1f} |", "",
              f"Metrics ({', '.join(metric_ids)}), image loading and bookkeeping: {rest:.1f} s of {wall:.1f} s."]
    info = (f"{n_images} images from {args.images.name}, codecs {', '.join(codecs)} over their default sweeps "
            f"({n_records} records), metrics {', '.join(metric_ids)}, empty cache each run; "
            f"{platform.machine()}, {os.cpu_count()} cores")
    table = "\n".join(lines)
    print(info)
    print(table)
    if args.write:
        write_block(args.write, "scaling", info, table)


if __name__ == "__main__":
    main()
