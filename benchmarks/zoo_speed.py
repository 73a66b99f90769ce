"""The published learned codecs' size and CPU time here, through imgcr's port, at their published widths.

The published weights cannot be fetched on this machine, so each design is built at its published widths with
random weights: parameters are counted exactly, and the time is that of its transforms (analysis, hyper-analysis,
hyper-synthesis, synthesis: what encoding and decoding run), on a Kodak image (768x512) and a 2048x1280 photo, at
imgcr's coding thread count. Range coding adds a few tens of milliseconds per megapixel on top.

Usage: python benchmarks/zoo_speed.py [--kodak ../shared/datasets/Kodak24] [--write docs/learned.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

from imgcr.codecs.zoo import LICENCE, ZOO  # noqa: E402
from imgcr.learned.threads import coding_threads  # noqa: E402
from imgcr.learned.zoo.designs import MODELS  # noqa: E402

# published widths (N, M): qualities 1-5 / 6-8 (mbt2018-mean, mbt2018: 1-4 / 5-8), from CompressAI's zoo configuration
WIDTHS = {"bmshj2018-factorized": ((128, 192), (192, 320)), "bmshj2018-hyperprior": ((128, 192), (192, 320)),
          "mbt2018-mean": ((128, 192), (192, 320)), "mbt2018": ((192, 192), (192, 320)),
          "cheng2020-anchor": ((128, 128), (192, 192)), "cheng2020-attn": ((128, 128), (192, 192))}


def transform_seconds(net, x: torch.Tensor) -> float:
    with torch.inference_mode(), coding_threads():
        start = time.perf_counter()
        out = net(net.pad(x))
        out["x_hat"].sum()
        return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    img = Image.open(args.kodak / "kodim01.png").convert("RGB")
    inputs = {"768x512": img, "2048x1280": img.resize((2048, 1280), Image.LANCZOS)}
    rows = ["| design | published BD-rate vs JPEG (Kodak, PSNR) | widths (N, M) | parameters | "
            + " | ".join(f"transforms, {k}" for k in inputs) + " | licence |", "|---" * (5 + len(inputs)) + "|"]
    for pub in ZOO:
        for n, m in WIDTHS[pub.id]:
            torch.manual_seed(0)
            net = MODELS[pub.id](n, m).eval()
            params = sum(p.numel() for p in net.parameters())
            times = []
            for pic in inputs.values():
                x = torch.from_numpy(np.array(pic)).permute(2, 0, 1)[None].float() / 255
                transform_seconds(net, x)  # warm-up
                times.append(min(transform_seconds(net, x) for _ in range(2)))
            rows.append(f"| {pub.id} | {pub.kodak_bd_rate:+.1f} % | {n}, {m} | {params / 1e6:.2f} M | "
                        + " | ".join(f"{t:.2f} s" for t in times) + f" | {LICENCE} |")
            print(rows[-1], flush=True)
    table = "\n".join(rows)
    if args.write:
        info = ("The published designs imgcr has ported (imgcr's own modules, CompressAI's state-dict layout, checked "
                "against CompressAI 1.2.8 in tests/test_zoo.py), at their published widths. BD-rate: CompressAI's own "
                "Kodak runs against its JPEG anchor. Time: the transforms on this machine's 2 cores, random weights "
                "(the published files are fetched on first use and cannot be fetched here). mbt2018 and cheng2020 also run their context "
                "model once per latent position in raster order (1,536 positions for a Kodak image, 10,240 for "
                "2048x1280), on top of these transforms. "
                "`python benchmarks/zoo_speed.py --write docs/learned.md`.")
        write_block(args.write, "zoo", info, table)


if __name__ == "__main__":
    main()
