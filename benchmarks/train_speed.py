"""Training steps/s for each recipe, and inference MP/s of the shipped trained models, on this machine.

Training: one optimiser step (forward, L1 loss, backward, Adam) on a batch of the recipe's size at
each of its patch sides, channels-last, with ``--threads`` torch threads; the median of timed steps
after two warm-up steps. Data loading runs in other processes during real training and is left out.
Inference: ``imgcr.models.run.restore`` (tiling included) on a 512x512 JPEG q10 photo, median of 3.

Writes a block into docs/benchmarks.md. Usage: python benchmarks/train_speed.py [--threads 2] [--steps 6]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from docs_block import write_block  # noqa: E402

from imgcr import weights  # noqa: E402
from imgcr.models import MODELS  # noqa: E402
from imgcr.train.recipes import RECIPES  # noqa: E402


def step_seconds(recipe, patch: int, steps: int) -> float:
    import torch

    from imgcr.train.networks import build

    torch.manual_seed(0)
    model = build(recipe.arch, **recipe.arch_kwargs).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    c = 1 if recipe.colour == "gray" else 3
    x = torch.rand(recipe.batch, c, patch, patch).contiguous(memory_format=torch.channels_last)
    times = []
    for _ in range(steps + 2):
        t0 = time.perf_counter()
        loss = torch.nn.functional.l1_loss(model(x), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times[2:]))


def inference_mps(model_id: str) -> float:
    from imgcr.degrade import Step, degrade
    from imgcr.images import load_image
    from imgcr.models import get_model
    from imgcr.models.run import restore
    from imgcr.samples import sample_names, sample_path

    px = load_image(sample_path(sample_names()[0])).pixels[:512, :512]
    jpeg = degrade(px, [Step("jpeg", 10)])
    spec = get_model(model_id)
    restore(jpeg, spec)  # load and warm up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        restore(jpeg, spec)
        times.append(time.perf_counter() - t0)
    return px.shape[0] * px.shape[1] / 1e6 / float(np.median(times))


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = ["| recipe | architecture | parameters | batch x patch | s/step | steps/s | patches/s |", "|---|---|---|---|---|---|---|"]
    from imgcr.train.networks import build

    for r in RECIPES.values():
        n = sum(p.numel() for p in build(r.arch, **r.arch_kwargs).parameters())
        for patch in sorted({r.patch, *(s for _, s in r.patch_schedule)}):
            s = step_seconds(r, patch, args.steps)
            rows.append(f"| {r.name} | {r.arch} | {n / 1e6:.2f} M | {r.batch} x {patch}² | {s:.3f} | {1 / s:.2f} | "
                        f"{r.batch / s:.0f} |")
            print(rows[-1], flush=True)
    rows += ["", "| shipped model | inference MP/s (512x512, tiled) |", "|---|---|"]
    for m in MODELS:
        if m.arch.startswith("imgcr-") and weights.find(m.weights) is not None:
            rows.append(f"| {m.id} | {inference_mps(m.id):.2f} |")
            print(rows[-1], flush=True)
    info = (f"Measured by `python benchmarks/train_speed.py --threads {args.threads}` on {platform.machine()}, "
            f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, CPU only; one optimiser step = "
            "forward, L1 loss, backward, Adam, channels-last; data loading (other processes) excluded.")
    write_block(args.out, "train-speed", info, "\n".join(rows))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
