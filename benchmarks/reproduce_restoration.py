"""Reproduce the restoration models' published numbers with imgcr's own runs; write docs/restoration.md.

Each row runs ``imgcr.evaluate.evaluate`` (the same code as ``python -m imgcr eval``) on the
standard sets in ../shared/datasets, with the paper's protocol, and sets the result beside the
paper's figure and the figure measured when the weights were prepared (ASSETS.md).

Usage: python benchmarks/reproduce_restoration.py [--datasets ../shared/datasets] [--out docs/restoration.md] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imgcr.evaluate import EvalProtocol, evaluate  # noqa: E402

# (label, model, set, chain, kwargs, metric, paper, assets_measured)
ROWS = [
    ("DnCNN-S σ=15", "dncnn-15", "Set12", "noise:15", {}, "psnr", 32.86, 32.87),
    ("DnCNN-S σ=25", "dncnn-25", "Set12", "noise:25", {}, "psnr", 30.44, 30.46),
    ("DnCNN-S σ=50", "dncnn-50", "Set12", "noise:50", {}, "psnr", 27.18, 27.20),
    ("DnCNN-B σ=25 (blind)", "dncnn-gray-blind", "Set12", "noise:25", {}, "psnr", None, 30.38),
    ("CDnCNN-B σ=25, CBSD68 first 12", "dncnn-color-blind", "CBSD68", "noise:25", {"limit": 12}, "psnr", None, 31.14),
    ("FFDNet gray σ=15", "ffdnet-gray", "Set12", "noise:15", {}, "psnr", 32.75, 32.77),
    ("FFDNet gray σ=25", "ffdnet-gray", "Set12", "noise:25", {}, "psnr", 30.43, 30.45),
    ("FFDNet gray σ=50", "ffdnet-gray", "Set12", "noise:50", {}, "psnr", 27.32, 27.33),
    ("FFDNet colour σ=25, CBSD68 first 12", "ffdnet-color", "CBSD68", "noise:25", {"limit": 12}, "psnr", None, 31.13),
    ("DnCNN-3 JPEG q10, classic5", "dncnn3", "classic5", "jpeg:10", {}, "psnr", 29.40, 29.41),
    ("DnCNN-3 JPEG q20, classic5", "dncnn3", "classic5", "jpeg:20", {}, "psnr", 31.63, 31.64),
    ("DnCNN-3 JPEG q10, LIVE1 gray (JPEG alone: paper 27.77)", "dncnn3", "LIVE1", "jpeg:10", {"gray": True}, "psnr", 29.19, None),
    ("DnCNN-3 JPEG q20, LIVE1 gray (JPEG alone: paper 30.07)", "dncnn3", "LIVE1", "jpeg:20", {"gray": True}, "psnr", 31.59, None),
    ("DnCNN-3 JPEG q30, LIVE1 gray (JPEG alone: paper 31.41)", "dncnn3", "LIVE1", "jpeg:30", {"gray": True}, "psnr", 32.98, None),
    ("DnCNN-3 JPEG q40, LIVE1 gray (JPEG alone: paper 32.35)", "dncnn3", "LIVE1", "jpeg:40", {"gray": True}, "psnr", 33.96, None),
    ("VDSR x2, Set5 (Y, shave 2)", "vdsr", "Set5/HR", "", {"lr": "X2", "y_channel": True, "shave": 2}, "psnr", 37.53, 37.56),
    ("VDSR x3, Set5 (Y, shave 3)", "vdsr", "Set5/HR", "", {"lr": "X3", "y_channel": True, "shave": 3}, "psnr", 33.66, 33.72),
    ("VDSR x4, Set5 (Y, shave 4)", "vdsr", "Set5/HR", "", {"lr": "X4", "y_channel": True, "shave": 4}, "psnr", 31.35, 31.24),
    ("Bicubic x4, Set5 (Y, shave 4)", "bicubic", "Set5/HR", "", {"lr": "X4", "y_channel": True, "shave": 4}, "psnr", 28.42, 28.43),
    ("Real-ESRGAN Compact anime x4, Set5", "realesr-animevideov3", "Set5/HR", "", {"lr": "X4"}, "lpips", None, 0.247),
    ("Real-ESRGAN Compact general v3 x4, Set5", "realesr-general-x4v3", "Set5/HR", "", {"lr": "X4"}, "lpips", None, 0.218),
    ("Bicubic x4, Set5", "bicubic", "Set5/HR", "", {"lr": "X4"}, "lpips", None, 0.342),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    default_sets = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
    ap.add_argument("--datasets", type=Path, default=default_sets)
    ap.add_argument("--out", type=Path, default=Path("docs/restoration.md"))
    ap.add_argument("--quick", action="store_true", help="skip LIVE1 (the slowest rows)")
    args = ap.parse_args()
    lines = ["| model and protocol | metric | degraded | imgcr | paper | ASSETS.md | imgcr − reference | CPU s |",
             "|---|---|---|---|---|---|---|---|"]
    for label, model, folder, chain, kw, metric, paper, assets in ROWS:
        if args.quick and "LIVE1" in folder:
            continue
        kw = dict(kw)
        lr = kw.pop("lr", None)
        lr_dir = args.datasets / "Set5" / "LR_bicubic" / lr if lr else None
        t0 = time.perf_counter()
        res = evaluate([args.datasets / folder], model, EvalProtocol.of(chain, metric_ids=(metric,), lr_dir=lr_dir, **kw))
        secs = time.perf_counter() - t0
        got, deg = res["restored"][metric], res["degraded"][metric]
        nd = 2 if metric == "psnr" else 3
        ref = assets if assets is not None else paper  # ASSETS where measured here, else the paper
        diff = "" if ref is None else f"{got - ref:+.{nd}f}"
        lines.append(f"| {label} ({res['images']} images) | {metric.upper()} | {'' if deg is None else f'{deg:.{nd}f}'} | "
                     f"**{got:.{nd}f}** | {'' if paper is None else paper} | {'' if assets is None else assets} | "
                     f"{diff} | {secs:.0f} |")
        print(lines[-1], flush=True)
    head = [
        "# Restoration models: published numbers, reproduced",
        "",
        "Every figure in the imgcr column comes from `benchmarks/reproduce_restoration.py`, i.e. from",
        "`imgcr.evaluate.evaluate` (the same code as `python -m imgcr eval`), on this machine's CPU, with the",
        "weights in `../shared/weights` (sha256-pinned in the catalogue).",
        "",
        "Protocols: additive Gaussian noise with numpy's seeded generator (seed 0); the model gets the noisy",
        "image in float, unclipped, and the 'degraded' column measures it after clipping and rounding to 8 bits;",
        "gray sets stay gray (gray noise, one-channel JPEG by libjpeg-turbo); LIVE1 is converted to gray as",
        "MATLAB's rgb2ycbcr Y (BT.601 studio range, rounded: it reproduces the paper's JPEG baselines);",
        "gray models run on Y; PSNR over RGB (= gray on gray sets) unless marked Y",
        "(BT.601 studio-range luma, border shaved by the scale). SR rows read Set5's MATLAB-bicubic LR images;",
        "bicubic upscaling is Pillow's. LPIPS is AlexNet v0.1. The paper column is the original publication's",
        "figure where one exists for the same protocol; ASSETS.md's figures were measured when the weights were",
        "prepared. Noise realisations differ from MATLAB's, so denoising rows can differ by ~0.01-0.02 dB.",
        "",
    ]
    args.out.write_text("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    main()
