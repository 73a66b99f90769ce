"""How fast SSIMULACRA2 and Butteraugli are here, and their peak memory, on one core.

The pair: a Kodak image enlarged (Lanczos) to 2048x1280, against its JPEG at quality 50 (and the same at
4000x2500, 10 MP). Each figure is measured in a fresh process limited to one thread (OpenCV, BLAS, torch); peak
memory is that process's maximum resident size minus what it held before the metric ran (for Butteraugli, the
tool's own process). Times are the median of three runs.

Usage: python benchmarks/perceptual_speed.py [--kodak ../shared/datasets/Kodak24] [--write docs/benchmarks.md]
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import publish  # noqa: E402

SIZES = ((2048, 1280), (4000, 2500))
CASES = ("ssimulacra2", "ssimulacra2-prepared", "ssimulacra2-map", "butteraugli")

CHILD = r"""
import io, json, resource, statistics, sys, time
import cv2, numpy as np
from PIL import Image
cv2.setNumThreads(1)
sys.path.insert(0, sys.argv[1])
case, w, h, src = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ref = np.asarray(Image.open(src).convert("RGB").resize((w, h), Image.LANCZOS))
buf = io.BytesIO(); Image.fromarray(ref).save(buf, "JPEG", quality=50)
dist = np.asarray(Image.open(buf).convert("RGB"))
from imgcr.metrics import butteraugli, ssimulacra2
if case == "ssimulacra2-prepared":
    prepared = ssimulacra2.Reference(ref)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
fn = {"ssimulacra2": lambda: ssimulacra2.ssimulacra2(ref, dist),
      "ssimulacra2-prepared": lambda: prepared.score(dist),
      "ssimulacra2-map": lambda: ssimulacra2.Reference(ref).error_map(dist).max(),
      "butteraugli": lambda: butteraugli._run(ref, dist, False)[0].max_norm}[case]
times = []
for _ in range(3):
    t = time.perf_counter(); value = fn(); times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
if case == "butteraugli":
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"s": statistics.median(times), "peak_mb": peak / 1024, "value": float(value)}))
"""


def measure(case: str, size: tuple[int, int], src: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), case, str(size[0]), str(size[1]), str(src)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


LABELS = {"ssimulacra2": "SSIMULACRA2, one pair", "ssimulacra2-prepared": "SSIMULACRA2, reference prepared (a comparison)",
          "ssimulacra2-map": "SSIMULACRA2 error map (the Compare view)", "butteraugli": "Butteraugli (libjxl's butteraugli_main)"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    src = args.kodak / "kodim23.png"
    rows = ["| metric | " + " | ".join(f"{w}x{h}: time, peak memory" for w, h in SIZES) + " |", "|---" * (1 + len(SIZES)) + "|"]
    for case in CASES:
        cells = []
        for size in SIZES:
            r = measure(case, size, src)
            cells.append(f"{r['s']:.2f} s, {r['peak_mb']:.0f} MB")
            print(case, size, r, flush=True)
        rows.append(f"| {LABELS[case]} | " + " | ".join(cells) + " |")
    info = (f"One core ({platform.processor() or platform.machine()}, {os.cpu_count()} cores here), kodim23 enlarged "
            "against its JPEG at quality 50; median of 3 runs, each in a fresh process; peak = the process's "
            "(for Butteraugli the tool's) maximum resident memory above what it held before. "
            "`python benchmarks/perceptual_speed.py --write docs/benchmarks.md`.")
    publish(rows, args.write, "perceptual-speed", info)


if __name__ == "__main__":
    main()
