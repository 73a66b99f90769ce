"""The published learned codecs' size and CPU time here, through imgcr's port, at their published widths.

The published weights cannot be fetched on this machine, so each design is built at its published widths with
random weights: parameters are counted exactly, and the time is that of its transforms (analysis, hyper-analysis,
hyper-synthesis, synthesis), on a Kodak image (768x512) and a 2048x1280 photo, at imgcr's coding thread count;
then a real encode and decode of each (range coding with the model's CDF tables, and for mbt2018 and
cheng2020 the context model run once per latent position in raster order). Random weights code about as many
symbols as trained ones (every latent position is coded either way), so the serial loop's time is the real one.
The encode / decode seconds per megapixel are what the Compare tab quotes before a run (``Published.seconds``).

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


def transform_seconds(net, x: torch.Tensor) -> float:
    with torch.inference_mode(), coding_threads():
        start = time.perf_counter()
        out = net(net.pad(x))
        out["x_hat"].sum()
        return time.perf_counter() - start


def synthetic_tables(net) -> None:
    """Coding tables for a randomly initialised model (a published file brings its own): discretised Gaussians,
    one per channel for the entropy bottleneck and CompressAI's 64 log-spaced scales for the conditional. They
    set how many bits are spent, not how many symbols are coded: timing only."""
    from math import erfc, sqrt

    from imgcr.learned.coder import Table
    from imgcr.learned.zoo.entropy import EntropyBottleneck, GaussianConditional

    def gaussian(scale: float) -> Table:
        half = int(np.ceil(scale * 11)) + 1
        edges = np.arange(-half, half + 2) - 0.5
        cdf = np.array([0.5 * erfc(-e / (scale * sqrt(2))) for e in edges])
        return Table.from_pmf(np.diff(cdf), -half)

    for module in net.modules():
        if isinstance(module, EntropyBottleneck):
            module.__dict__["_tables"] = [gaussian(2.0)] * module.channels
        elif isinstance(module, GaussianConditional):
            module.scale_table = torch.exp(torch.linspace(np.log(0.11), np.log(256), 64))
            module.__dict__["_tables"] = [gaussian(float(s)) for s in module.scale_table]


def coding_seconds(net, pixels: np.ndarray) -> tuple[float, float]:
    """One real encode and decode through the codec's own path (range coding, the serial loop), timed."""
    from imgcr.tensors import to_nchw

    synthetic_tables(net)
    with torch.inference_mode(), coding_threads():
        start = time.perf_counter()
        stream, escapes = net.compress(to_nchw(pixels))
        mid = time.perf_counter()
        net.decompress(stream, escapes, *pixels.shape[:2])
        return mid - start, time.perf_counter() - mid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--write", type=Path)
    ap.add_argument("--transforms-only", action="store_true", help="skip the real encode and decode")
    args = ap.parse_args()
    img = Image.open(args.kodak / "kodim01.png").convert("RGB")
    inputs = {"768x512": img, "2048x1280": img.resize((2048, 1280), Image.LANCZOS)}
    rows = ["| design | published BD-rate vs JPEG (Kodak, PSNR) | widths (N, M) | parameters | "
            + " | ".join(f"transforms, {k}" for k in inputs) + " | "
            + " | ".join(f"encode / decode, {k} (s per MP)" for k in inputs) + " | licence |",
            "|---" * (5 + 2 * len(inputs)) + "|"]
    for pub in ZOO:
        for n, m in pub.widths:
            torch.manual_seed(0)
            net = MODELS[pub.id](n, m).eval()
            params = sum(p.numel() for p in net.parameters())
            times = []
            for pic in inputs.values():
                x = torch.from_numpy(np.array(pic)).permute(2, 0, 1)[None].float() / 255
                transform_seconds(net, x)  # warm-up
                times.append(min(transform_seconds(net, x) for _ in range(2)))
            coded = []
            for pic in inputs.values():
                if args.transforms_only:
                    coded.append("not measured")
                    continue
                pixels = np.array(pic)
                mp = pixels.shape[0] * pixels.shape[1] / 1e6
                enc, dec = coding_seconds(net, pixels)
                coded.append(f"{enc:.2f} s / {dec:.2f} s ({enc / mp:.1f} / {dec / mp:.1f})")
            rows.append(f"| {pub.id} | {pub.kodak_bd_rate:+.1f} % | {n}, {m} | {params / 1e6:.2f} M | "
                        + " | ".join(f"{t:.2f} s" for t in times) + " | " + " | ".join(coded) + f" | {LICENCE} |")
            print(rows[-1], flush=True)
    table = "\n".join(rows)
    if args.write:
        info = ("The published designs imgcr has ported (imgcr's own modules, CompressAI's state-dict layout, checked "
                "against CompressAI 1.2.8 in tests/test_zoo.py), at their published widths. BD-rate: CompressAI's own "
                "Kodak runs against its JPEG anchor. Time: the transforms on this machine's 2 cores, random weights "
                "(the published files are fetched on first use and cannot be fetched here). Encode / decode: the real codec "
                "path on each image, range coding included; mbt2018 and cheng2020 run their context model once "
                "per latent position in raster order (1,536 positions for a Kodak image, 10,240 for 2048x1280), which "
                "is where their seconds go. "
                "`python benchmarks/zoo_speed.py --write docs/learned.md`.")
        write_block(args.write, "zoo", info, table)


if __name__ == "__main__":
    main()
