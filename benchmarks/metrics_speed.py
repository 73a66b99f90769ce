"""Metric speed and agreement with the reference implementations, on a ~2K photo.

Compares imgcr's float32 separable SSIM with skimage's, its MS-SSIM with pytorch-msssim's,
and times PSNR and LPIPS-alex (CPU). Prints a table; --write puts it into docs/benchmarks.md.

Usage: python benchmarks/metrics_speed.py [--image PATH] [--runs 5] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

from imgcr import metrics  # noqa: E402
from imgcr.codecs import get_codec  # noqa: E402
from imgcr.images import load_image  # noqa: E402
from imgcr.timing import timed as repeat_timed  # noqa: E402

DEFAULT_IMAGE = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "Kodak24" / "kodim23.png"


def timed(fn, runs):
    out, ms, _ = repeat_timed(fn, repeats=runs, budget_s=float("inf"))
    return out, ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    import torch
    from pytorch_msssim import ms_ssim as torch_ms_ssim
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    x = load_image(args.image).pixels
    if x.shape[1] != 2048:  # a ~2K photo: a Kodak image is enlarged (Lanczos), a bigger one reduced
        h = round(x.shape[0] * 2048 / x.shape[1])
        x = np.asarray(Image.fromarray(x).resize((2048, h), Image.LANCZOS))
    jpeg = get_codec("jpeg")
    y = jpeg.decode(jpeg.encode(x, jpeg.resolve(40)))

    def tt(a):
        return torch.from_numpy(a.astype(np.float32)).permute(2, 0, 1)[None]

    rows = []
    ours, t_ours = timed(lambda: metrics.psnr(x, y), args.runs)
    ref, t_ref = timed(lambda: peak_signal_noise_ratio(x, y, data_range=255), args.runs)
    rows.append(("PSNR", "skimage", ours, ref, t_ours, t_ref))
    # a fresh copy of the pair's second image each run: SSIM's per-plane means are kept for a pair of arrays
    # (MS-SSIM reuses them), and the same arrays again would time a lookup
    ours, t_ours = timed(lambda: metrics.ssim(x, y.copy()), args.runs)
    ref, t_ref = timed(lambda: structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                                     data_range=255, channel_axis=-1), max(1, args.runs // 2))
    rows.append(("SSIM", "skimage (Gaussian)", ours, ref, t_ours, t_ref))
    ours, t_ours = timed(lambda: metrics.ms_ssim(x, y.copy()), args.runs)
    ref, t_ref = timed(lambda: float(torch_ms_ssim(tt(x), tt(y), data_range=255)), max(1, args.runs // 2))
    rows.append(("MS-SSIM", "pytorch-msssim (float32)", ours, ref, t_ours, t_ref))
    metrics.compute("lpips", x[:64, :64], y[:64, :64])  # load once, outside the timing
    ours, t_ours = timed(lambda: metrics.compute("lpips", x, y), max(1, args.runs // 2))
    rows.append(("LPIPS-alex", "(same model)", ours, ours, t_ours, float("nan")))
    info = (f"image {args.image.name} at {x.shape[1]}x{x.shape[0]} vs its JPEG q40; medians; "
            f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} on CPU with "
            f"{torch.get_num_threads()} threads")
    lines = ["| metric | reference | imgcr value | reference value | abs diff | imgcr ms | reference ms |",
             "|---|---|---|---|---|---|---|"]
    for name, refname, a, b, ta, tb in rows:
        lines.append(f"| {name} | {refname} | {a:.6f} | {b:.6f} | {abs(a - b):.1e} | {ta:.0f} | "
                     f"{'-' if tb != tb else f'{tb:.0f}'} |")
    table = "\n".join(lines)
    print(info)
    print(table)
    if args.write:
        write_block(args.write, "metrics", info, table)

if __name__ == "__main__":
    main()
