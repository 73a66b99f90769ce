"""LPIPS's time and peak memory at 2.6, 10 and 50 MP: the call a comparison made per codec before (the lpips
package on the whole pair), imgcr's whole-pair call, and what a comparison does now (the reference's features
made once, then each codec's image scored in bands of rows).

The pair: kodim23 enlarged (Lanczos) to the size, against its JPEG at quality 50. Each figure comes from a fresh
process on every core (torch's default threads, as a comparison runs LPIPS); peak memory is that process's maximum
resident size above what it held with the model loaded and the two images in memory. Times are the median of
three runs (one at 50 MP). A whole-pair call at 50 MP is not run: it holds both images' full feature maps, about
five times its 10 MP peak, more than this 24 GB machine can give safely (the table says so; nothing is guessed).

Usage: python benchmarks/lpips_speed.py [--kodak ../shared/datasets/Kodak24] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import publish  # noqa: E402

SIZES = ((2048, 1280), (4000, 2500), (8160, 6120))
WHOLE_PAIR_MAX = 12_000_000  # pixels: the whole-pair calls are run up to here
CASES = {
    "package": "before: the lpips package's LPIPS(net='alex') on the whole pair, per codec",
    "plain": "imgcr's whole-pair call (`metrics.compute`)",
    "prepare": "now: the reference's features, once per photo (on the drop)",
    "distance": "now: each codec's image against the prepared reference, in bands",
}

CHILD = r"""
import io, json, statistics, sys, time
import numpy as np
from PIL import Image
sys.path.insert(0, sys.argv[1])
case, w, h, src, runs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
Image.MAX_IMAGE_PIXELS = None
ref = np.asarray(Image.open(src).convert("RGB").resize((w, h), Image.LANCZOS))
buf = io.BytesIO(); Image.fromarray(ref).save(buf, "JPEG", quality=50)
dist = np.asarray(Image.open(buf).convert("RGB"))
import torch
from imgcr.metrics import lpips_metric
from imgcr.tensors import to_nchw
model = lpips_metric._load()
if case == "package":
    import lpips
    net = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False).eval()
    net.load_state_dict(model.state_dict(), strict=False)  # it also lists lin0..lin4 under a second name
    def fn():
        with torch.inference_mode():
            return float(net(to_nchw(ref), to_nchw(dist), normalize=True).item())
elif case == "plain":
    fn = lambda: lpips_metric.lpips_alex(ref, dist)
elif case == "prepare":
    fn = lambda: len(lpips_metric.lpips_reference(ref).warm().bands)
else:
    prepared = lpips_metric.lpips_reference(ref).warm()
    fn = lambda: prepared.distance(dist)

def rss(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field)) / 1024

base = rss("VmRSS")
times = []
for _ in range(runs):
    t = time.perf_counter(); value = fn(); times.append(time.perf_counter() - t)
print(json.dumps({"s": statistics.median(times), "peak_mb": rss("VmHWM") - base, "value": float(value)}))
"""


def measure(case: str, size: tuple[int, int], src: Path) -> dict:
    runs = 1 if size[0] * size[1] > WHOLE_PAIR_MAX else 3
    env = {**os.environ}
    env.setdefault("IMGCR_WEIGHTS_DIR", str(ROOT.parent / "shared" / "weights"))
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), case, str(size[0]), str(size[1]), str(src), str(runs)],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{case} at {size} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    src = args.kodak / "kodim23.png"
    head = " | ".join(f"{w}x{h} ({w * h / 1e6:.1f} MP): time, peak memory" for w, h in SIZES)
    rows = [f"| LPIPS-alex | {head} |", "|---" * (1 + len(SIZES)) + "|"]
    for case, label in CASES.items():
        cells = []
        for size in SIZES:
            if case in ("package", "plain") and size[0] * size[1] > WHOLE_PAIR_MAX:
                cells.append("not run (both full feature maps: ~5x the 10 MP peak)")
                continue
            r = measure(case, size, src)
            print(case, size, r, flush=True)
            cells.append(f"{r['s']:.2f} s, {r['peak_mb'] / 1024:.2f} GB")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    info = (f"`python benchmarks/lpips_speed.py --write docs/benchmarks.md` on {platform.machine()}, {os.cpu_count()} cores "
            "(torch's default threads), kodim23 enlarged against its JPEG at quality 50; each figure from a fresh "
            "process, the median of 3 runs (1 at 50 MP); peak = the maximum resident memory above what the process held "
            "with the model loaded and both images in memory.")
    publish(rows, args.write, "lpips-speed", info)


if __name__ == "__main__":
    main()
