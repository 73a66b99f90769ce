"""Restoration speed: input megapixels per second per model, CPU (and GPU when there is one).

For each model on a --size square input: whole image with all threads and with 1 thread, in
--tile tiles (24-px overlap), and channels-last; fp32 (and fp16 on GPU); plus the time to a first
result in a fresh process (imports, lazy weight loading, one 256x256 inference). Medians of --runs.

Usage: python benchmarks/restore_speed.py [--size 320] [--tile 160] [--runs 2] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

from imgcr.models import get_model  # noqa: E402
from imgcr.models.loader import POOL  # noqa: E402
from imgcr.models.tiling import run_tiled  # noqa: E402
from imgcr.timing import timed  # noqa: E402

MODELS = ["dncnn-25", "dncnn-color-blind", "ffdnet-color", "realesr-animevideov3", "realesr-general-x4v3", "vdsr"]
ROOT = Path(__file__).resolve().parent.parent


def first_result_seconds(model_id: str) -> float:
    code = ("import time; t=time.perf_counter(); import numpy as np; from imgcr.models import get_model; "
            "from imgcr.models.run import restore; "
            f"restore(np.zeros((256, 256, 3), np.uint8), get_model('{model_id}'), scale=2); "
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=os.environ.copy(),
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--tile", type=int, default=160)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    threads_all = torch.get_num_threads()
    rows = []
    for device in devices:
        for mid in MODELS:
            spec = get_model(mid)
            model = POOL.get(spec, device)
            ch = model.in_channels
            x = torch.rand(1, ch, args.size, args.size, device=device)
            mp = args.size * args.size / 1e6
            if spec.arch == "FFDNet":
                level = torch.full((1, 1, 1, 1), 25 / 255, device=device)

                def net(t, m=model.module, lv=level):
                    return m(t, lv.to(t.dtype))
            else:
                net = model.module
            variants = [("whole", None, False, threads_all), ("whole", None, False, 1),
                        (f"tiles {args.tile}", args.tile, False, threads_all), ("whole, channels-last", None, True, threads_all)]
            for name, tile, cl, threads in variants:
                if device != "cpu" and threads == 1:
                    continue
                for half in ([False, True] if device == "cuda" and spec.fp16 else [False]):
                    torch.set_num_threads(threads)
                    mod = model.module.half() if half else model.module.float()
                    if cl:
                        mod = mod.to(memory_format=torch.channels_last)
                    inp = x.half() if half else x
                    inp = inp.contiguous(memory_format=torch.channels_last) if cl else inp

                    def go(tile=tile, inp=inp):
                        with torch.inference_mode():
                            run_tiled(net, inp, model.scale if spec.arch != "VDSR" else 1, tile, overlap=24)
                        if device == "cuda":
                            torch.cuda.synchronize()

                    go()  # warm-up
                    _, ms, _ = timed(go, repeats=args.runs, budget_s=60)
                    rows.append((mid, device, name, threads, "fp16" if half else "fp32", mp / (ms / 1000)))
                    model.module.float().to(memory_format=torch.contiguous_format)
                    print(rows[-1], flush=True)
    torch.set_num_threads(threads_all)
    lines = ["| model | device | variant | threads | precision | input MP/s |", "|---|---|---|---|---|---|"]
    lines += [f"| {m} | {d} | {v} | {t} | {p} | {r:.3f} |" for m, d, v, t, p, r in rows]
    lines += ["", "Time to a first result in a fresh process (imports, lazy load, one 256x256 input):", "",
              "| model | seconds |", "|---|---|"]
    for mid in MODELS:
        lines.append(f"| {mid} | {first_result_seconds(mid):.1f} |")
    gpu = "no GPU was lent to this run: GPU rows are absent" if "cuda" not in devices else torch.cuda.get_device_name()
    info = (f"{args.size}x{args.size} inputs (SR models: output x4; VDSR runs at input size), median of {args.runs}; "
            f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}; {gpu}")
    table = "\n".join(lines)
    print(info)
    print(table)
    if args.write:
        write_block(args.write, "restore", info, table)


if __name__ == "__main__":
    main()
