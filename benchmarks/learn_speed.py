"""How interactive the Learn tab is: the server time of one redraw (quality or subsampling moved, a block clicked).

A redraw encodes with libjpeg-turbo four times (the chosen setting and the three subsamplings for the
size comparison), decodes, builds the planes, the grid and error views, and the block's six heat maps.
Median of ``--repeats`` runs at each size; Gradio's own PNG encoding and transfer come on top.

Writes a block into docs/benchmarks.md. Usage: python benchmarks/learn_speed.py [--repeats 7]
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

from imgcr.images import load_image  # noqa: E402
from imgcr.samples import sample_names, sample_path  # noqa: E402
from imgcr.ui import learn_tab  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
    args = ap.parse_args()
    photo = load_image(sample_path(sample_names()[0])).pixels
    rows = ["| image | redraw ms (median) | block click ms (median) |", "|---|---|---|"]
    for side in (256, 512, 768):
        px = np.ascontiguousarray(np.tile(photo, (2, 2, 1))[:side, :side])
        state = {"pixels": px, "name": f"{side} px", "notes": [], "point": (side // 2, side // 2)}
        redraw, click = [], []
        for i in range(args.repeats):
            t0 = time.perf_counter()
            learn_tab.render(state, 20 + i, "4:2:0", "Y", 8)
            redraw.append(time.perf_counter() - t0)
            evt = type("Evt", (), {"index": [i * 8, i * 8]})()
            t0 = time.perf_counter()
            learn_tab.pick_block(state, 25, "4:2:0", "Y", 8, evt)
            click.append(time.perf_counter() - t0)
        rows.append(f"| {side}×{side} | {np.median(redraw) * 1e3:.0f} | {np.median(click) * 1e3:.0f} |")
        print(rows[-1], flush=True)
    info = (f"Measured by `python benchmarks/learn_speed.py` on {platform.machine()} ({platform.python_version()}): "
            "server time per Learn-tab redraw; Gradio's PNG encoding and transfer come on top.")
    write_block(args.out, "learn-speed", info, "\n".join(rows))


if __name__ == "__main__":
    main()
