"""Kodak24 judged as codec engineers judge: BD-rate against JPEG on six metrics side by side, and the setting
each codec needs for SSIMULACRA2 70 / 80 / 90.

1. The sweep: ``imgcr bench`` over Kodak24 for jpeg, jpegli, webp, avif, jpegxl, jpeg2000, ae-hyperprior and
   jpeg+jpeg-unet-color at each codec's own settings, with PSNR, SSIM, MS-SSIM, LPIPS, SSIMULACRA2 and
   Butteraugli (max-norm and 3-norm) (resumable: the result cache keeps every finished record).
2. The targets: per codec and image, the setting where SSIMULACRA2 reaches 70, 80, 90, interpolated between the
   sweep's settings; the table gives the median setting over the 24 images with its spread (min-max) and the
   median bpp.

Writes the records (``docs/kodak24_perceptual.json``; ``docs/kodak24_perceptual_high.json``: the classical codecs
again at 95, 98 and 100, where SSIMULACRA2 90 lies; ``docs/kodak24_ssimulacra2_targets.json``) and the
``perceptual-bd`` and ``ssimulacra2-targets`` blocks of docs/kodak.md. Needs IMGCR_WEIGHTS_DIR for jpeg-unet-color (../shared/weights).

Usage: python benchmarks/kodak_perceptual.py [--kodak ../shared/datasets/Kodak24] [--workers 2] [--only sweep|report]
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
HIGH = ROOT / "docs" / "kodak24_perceptual_high.json"  # the top settings (95, 98, 100), where SSIMULACRA2 90 lies
HIGH_QUALITIES = "95,98,100"
TARGETS = ROOT / "docs" / "kodak24_ssimulacra2_targets.json"
LEVELS = (70.0, 80.0, 90.0)


def sweep(kodak: Path, workers: int) -> None:
    cmd = [sys.executable, "-m", "imgcr", "bench", str(kodak), "--codecs", ",".join(CODECS), "--metrics", ",".join(METRICS),
           "--workers", str(workers), "--out", str(SWEEP)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    classical = [c for c in CODECS if c != "ae-hyperprior"]  # its own sweep already reaches 100
    cmd[cmd.index("--codecs") + 1] = ",".join(classical)
    subprocess.run([*cmd[:-1], str(HIGH), "--qualities", HIGH_QUALITIES], check=True, cwd=ROOT)


def _crossing(points: list[tuple[float, float, float]], level: float) -> tuple[float, float] | None:
    """(setting on the 0-100 scale, bpp) where the score first reaches ``level``, interpolated between the two
    sweep settings around it (bpp geometrically); None if no setting reaches it."""
    for (q0, s0, b0), (q1, s1, b1) in zip(points, points[1:], strict=False):
        if s0 < level <= s1:
            t = (level - s0) / (s1 - s0)
            return q0 + t * (q1 - q0), b0 * (b1 / b0) ** t
    if points and points[0][1] >= level:
        return points[0][0], points[0][2]
    return None


def targets(records: list[dict]) -> list[dict]:
    """Per codec, image and level: the setting that reaches SSIMULACRA2 = level, from the sweep's points."""
    from imgcr.codecs import get_codec

    rows = []
    for codec_id in CODECS:
        codec = get_codec(codec_id, require_available=False)
        knob = codec.knob.option if codec.knob else "quality"
        for image in sorted({r["image"] for r in records}):
            pts = sorted((r["quality"], r["ssimulacra2"], r["bpp"]) for r in records
                         if r["codec"] == codec_id and r["image"] == image and r.get("ssimulacra2") is not None)
            for level in LEVELS:
                hit = _crossing(pts, level)
                setting = None if hit is None else codec.resolve(hit[0])[knob]
                rows.append({"codec": codec_id, "image": image, "target": level, "knob": knob, "setting": setting,
                             "bpp": None if hit is None else hit[1], "met": hit is not None})
    TARGETS.write_text(json.dumps(rows, indent=1))
    return rows


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
            reached = [r for r in rs if r["met"]]
            if not reached:
                cells.append(f"not reached (0/{len(rs)})")
                continue
            settings = [r["setting"] for r in reached]
            cells.append(f"{statistics.median(settings):.4g} ({min(settings):.4g}-{max(settings):.4g}), "
                         f"{statistics.median(r['bpp'] for r in reached):.2f} bpp, {len(reached)}/{len(rs)}")
        lines.append(f"| {REGISTRY[codec].label} | {knob} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report() -> None:
    from imgcr.bench.sweep import load_results

    records = load_results(SWEEP)["records"]
    # BD-rate on each codec's own sweep (the top settings make some perceptual curves non-monotone there);
    # the targets use every setting
    every = records + (load_results(HIGH)["records"] if HIGH.exists() else [])
    info = (f"BD-rate against JPEG (libjpeg-turbo) on Kodak24 on each metric, from `{SWEEP.name}` ({len(records)} records, each codec's own sweep; "
            "mean curves over the 24 images, PCHIP on log-rate; negative = fewer bits than JPEG for the same score; "
            "for LPIPS and Butteraugli, lower is better and the integration turns the other way). "
            "Regenerate: `python benchmarks/kodak_perceptual.py`.")
    write_block(ROOT / "docs" / "kodak.md", "perceptual-bd", info, _bd_block(records))
    info = ("The setting each codec needs for SSIMULACRA2 70 (high), 80 (very high) and 90 (visually lossless) on "
            "Kodak24: per image, the setting where the sweep's SSIMULACRA2 first reaches the level (interpolated "
            f"between the two sweep settings around it, bpp geometrically; the classical codecs also at {HIGH_QUALITIES}, "
            f"`{HIGH.name}`), then the median over the images with its "
            f"range, the median bpp, and on how many of the 24 images the level was reached. From `{TARGETS.name}`.")
    write_block(ROOT / "docs" / "kodak.md", "ssimulacra2-targets", info, _targets_block(targets(every)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", choices=("sweep", "report"))
    args = ap.parse_args()
    if args.only in (None, "sweep"):
        sweep(args.kodak, args.workers)
    if args.only in (None, "report"):
        report()


if __name__ == "__main__":
    main()
