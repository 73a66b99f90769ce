"""Kodak24 judged as codec engineers judge: BD-rate against JPEG on six metrics side by side, and the setting
each codec needs for SSIMULACRA2 70 / 80 / 90.

1. The sweep: ``imgcr bench`` over Kodak24 for jpeg, jpegli, webp, avif, jpegxl, jpeg2000, ae-hyperprior and
   jpeg+jpeg-unet-color at each codec's own settings, with PSNR, SSIM, MS-SSIM, LPIPS, SSIMULACRA2 and
   Butteraugli (max-norm and 3-norm) (resumable: the result cache keeps every finished record).
2. The targets: per codec and image, imgcr's target search to SSIMULACRA2 = 70, 80, 90 (met within 1 point, or
   the nearest reachable); the table gives the median setting over the 24 images with its spread (min-max) and
   the median bpp.

Writes the records (``docs/kodak24_perceptual.json``, ``docs/kodak24_ssimulacra2_targets.json``) and the
``perceptual`` block of docs/kodak.md. Needs IMGCR_WEIGHTS_DIR for jpeg-unet-color (../shared/weights).

Usage: python benchmarks/kodak_perceptual.py [--kodak ../shared/datasets/Kodak24] [--workers 2] [--only sweep|targets|report]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

CODECS = ("jpeg", "jpegli", "webp", "avif", "jpegxl", "jpeg2000", "ae-hyperprior", "jpeg+jpeg-unet-color")
METRICS = ("psnr", "ssim", "ms_ssim", "lpips", "ssimulacra2", "butteraugli", "butteraugli_3norm")
SWEEP = ROOT / "docs" / "kodak24_perceptual.json"
TARGETS = ROOT / "docs" / "kodak24_ssimulacra2_targets.json"
LEVELS = (70.0, 80.0, 90.0)


def sweep(kodak: Path, workers: int) -> None:
    cmd = [sys.executable, "-m", "imgcr", "bench", str(kodak), "--codecs", ",".join(CODECS), "--metrics", ",".join(METRICS),
           "--workers", str(workers), "--out", str(SWEEP)]
    subprocess.run(cmd, check=True, cwd=ROOT)


def targets(kodak: Path) -> None:
    from imgcr.codec_run import _target_metric
    from imgcr.codecs import get_codec
    from imgcr.images import expand_paths, load_image
    from imgcr.search import Target, search

    done = json.loads(TARGETS.read_text()) if TARGETS.exists() else []
    have = {(r["codec"], r["image"], r["target"]) for r in done}
    for path in expand_paths([kodak]):
        pixels = load_image(path).pixels
        measure = _target_metric("ssimulacra2", pixels)
        for codec_id in CODECS:
            codec = get_codec(codec_id)
            for level in LEVELS:
                if (codec_id, path.name, level) in have:
                    continue
                used, probe, report = search(codec, pixels, codec.resolve(75), Target("ssimulacra2", level), measure)
                done.append({"codec": codec_id, "image": path.name, "target": level, "knob": report.knob,
                             "setting": report.knob_value, "achieved": report.achieved, "met": report.met,
                             "bpp": len(probe.data) * 8 / (pixels.shape[0] * pixels.shape[1]), "encodes": report.encodes})
                TARGETS.write_text(json.dumps(done, indent=1))
            print(path.name, codec_id, flush=True)


def _bd_block(records: list[dict]) -> str:
    from imgcr.bench.rd import bd_table
    from imgcr.codecs import REGISTRY

    tables = {m: {row["codec"]: row for row in bd_table(records, "jpeg", m)} for m in METRICS if m != "butteraugli_3norm"}
    head = "| codec | " + " | ".join(("PSNR", "SSIM", "MS-SSIM", "LPIPS", "SSIMULACRA2", "Butteraugli")) + " |"
    lines = [head, "|---" * 7 + "|"]
    for codec in CODECS[1:]:
        cells = []
        for m in tables:
            row = tables[m].get(codec)
            cells.append("n/a" if row is None or row["bd_rate"] is None else f"{row['bd_rate']:+.1f} %")
        lines.append(f"| {REGISTRY[codec].label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _targets_block(rows: list[dict]) -> str:
    from imgcr.codecs import REGISTRY

    lines = ["| codec | knob | " + " | ".join(f"SSIMULACRA2 {int(v)}: setting (min-max), bpp, met" for v in LEVELS) + " |",
             "|---" * (2 + len(LEVELS)) + "|"]
    for codec in CODECS:
        cells = []
        knob = ""
        for level in LEVELS:
            rs = [r for r in rows if r["codec"] == codec and r["target"] == level]
            if not rs:
                cells.append("-")
                continue
            knob = rs[0]["knob"]
            settings = [r["setting"] for r in rs]
            met = sum(r["met"] for r in rs)
            cells.append(f"{statistics.median(settings):g} ({min(settings):g}-{max(settings):g}), "
                         f"{statistics.median(r['bpp'] for r in rs):.2f} bpp, {met}/{len(rs)}")
        lines.append(f"| {REGISTRY[codec].label} | {knob} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report() -> None:
    from imgcr.bench.sweep import load_results

    records = load_results(SWEEP)["records"]
    info = (f"BD-rate against JPEG (libjpeg-turbo) on Kodak24 on each metric, from `{SWEEP.name}` ({len(records)} records; "
            "mean curves over the 24 images, PCHIP on log-rate; negative = fewer bits than JPEG for the same score; "
            "for LPIPS and Butteraugli, lower is better and the integration turns the other way). "
            "Regenerate: `python benchmarks/kodak_perceptual.py`.")
    write_block(ROOT / "docs" / "kodak.md", "perceptual-bd", info, _bd_block(records))
    if TARGETS.exists():
        info = ("The setting each codec needs for SSIMULACRA2 70 (high), 80 (very high) and 90 (visually lossless) on "
                "Kodak24: imgcr's target search per image (met within 1 point), the median setting over the 24 images "
                "with its range, the median bpp, and on how many images the target was met (a codec that cannot "
                f"reach a score gives its nearest). From `{TARGETS.name}`.")
        write_block(ROOT / "docs" / "kodak.md", "ssimulacra2-targets", info, _targets_block(json.loads(TARGETS.read_text())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", choices=("sweep", "targets", "report"))
    args = ap.parse_args()
    if args.only in (None, "sweep"):
        sweep(args.kodak, args.workers)
    if args.only in (None, "targets"):
        targets(args.kodak)
    if args.only in (None, "report"):
        report()


if __name__ == "__main__":
    main()
