"""How fast a comparison answers on the photos people drop: first row, every row, every metric, peak memory.

Each case runs in a fresh process with an empty result cache, on a photo made by enlarging a Kodak image
(Lanczos) to 4000x2500 (10 MP) or 2048x1280. Cases:

- ``cli-q75``: ``imgcr compare``'s backend, the six default codecs at quality 75, the default metrics;
- ``cli-bpp``: the same at equal size, 0.5 bpp;
- ``tab-q60``: the Compare tab's handler at 2048x1280, the default codecs at quality 60, the tab's default metrics;
- ``tab-learned``: the tab's handler, six codecs including ae-hyperprior, at 0.5 bpp;
- ``tab-q60-dropped``, ``tab-learned-dropped``: the same, the photo prepared as a reference (LPIPS's features,
  SSIMULACRA2's planes) by the tab's drop handler before the click, as when its user takes longer to pick codecs
  than that takes; the preparation's own time is the "prepared on drop" column.

Times count from the request (the photo loaded, the modules a server has imported and, for the tab cases,
what the app makes ready before it serves: LPIPS's network, plotly's figure machinery; the CLI cases load LPIPS
within the time, and a learned codec's weights load within it in every case, as on a server's first request).
"first row" is when the first codec's row (size, PSNR, SSIM) is there, "rows" when every row is, "all" when
every metric is in. Code from before streaming yields once, at the end: all three are then the same time.
It also counts the encodes each codec's equal-size search took. Run it on a quiet machine.

Usage: python benchmarks/compare_speed.py [--kodak ../shared/datasets/Kodak24] [--cases cli-q75,...]
       [--label after] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_block import write_block  # noqa: E402

CASES = {
    "cli-q75": ("4000x2500, `compare`, six default codecs, quality 75, default metrics", (4000, 2500)),
    "cli-bpp": ("4000x2500, the same at equal size (0.5 bpp)", (4000, 2500)),
    "tab-q60": ("2048x1280, Compare tab, default codecs, quality 60", (2048, 1280)),
    "tab-learned": ("2048x1280, Compare tab, six codecs incl. ae-hyperprior, 0.5 bpp", (2048, 1280)),
    "tab-q60-dropped": ("the same as tab-q60, the photo prepared as it was dropped", (2048, 1280)),
    "tab-learned-dropped": ("the same as tab-learned, the photo prepared as it was dropped", (2048, 1280)),
}
SIX = ["jpeg", "png", "jpeg2000", "webp", "avif", "jpegxl"]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
case, path = sys.argv[1], sys.argv[2]
from imgcr.images import load_image
from imgcr import pipeline
image = load_image(path)
if case.startswith("tab"):
    import imgcr.ui.compare_tab  # noqa: F401  (a server has gradio loaded before the click)
    from imgcr.ui import warm
    warm()  # and what the app makes ready before it serves: LPIPS's network, plotly's figure machinery
marks, searches, missing = {}, {}, set()
from imgcr.metrics import DEFAULT_METRICS
chosen = sys.argv[3].split(",") if sys.argv[3] else list(DEFAULT_METRICS)
prepared = None
if case.endswith("-dropped"):  # the tab's drop handler, before the click
    from imgcr.ui import compare_tab
    t = time.perf_counter()
    compare_tab.kept.prepare(image, chosen)
    prepared = time.perf_counter() - t
t0 = time.perf_counter()  # from the request: the image is in memory, the server's modules imported

def seen(results):
    now = time.perf_counter() - t0
    got = [r for r in results if r is not None]
    if got and "first" not in marks:
        marks["first"] = now
    if len(got) == len(results) and "rows" not in marks:
        marks["rows"] = now
    if len(got) == len(results) and not any(getattr(r, "pending", ()) for r in got):
        marks["all"] = now
    for r in got:
        if r.target and r.target.get("encodes"):
            searches[r.codec] = r.target["encodes"]
        if not r.pending:
            missing.update(m for m, v in r.metrics.items() if v is None and not r.lossless)

if case.startswith("cli"):
    from imgcr.search import Target
    target = Target("bpp", 0.5) if case == "cli-bpp" else None
    kw = dict(quality=75, target=target, metric_ids=tuple(chosen))
    if hasattr(pipeline, "compare_iter"):
        for update in pipeline.compare_iter(image, SIX, **kw):
            seen(update)
    else:
        seen(pipeline.compare(image, SIX, **kw))
else:
    from imgcr.ui import compare_tab
    q60 = case.startswith("tab-q60")
    codecs = SIX if q60 else ["jpeg", "webp", "avif", "jpegxl", "jpeg2000", "ae-hyperprior"]
    mode = "Same setting (quality 0-100)" if q60 else "Equal file size (bpp)"
    metric_ids = chosen
    args = (codecs, mode, 60, 0.5, metric_ids, "")
    import inspect
    params = list(inspect.signature(compare_tab.run_compare).parameters)
    from imgcr.ui import common
    common.load_input = lambda upload, sample: image  # the enlarged photo, as an upload would be
    compare_tab.load_input = common.load_input
    out = (compare_tab.run_compare(None, None, lambda *a, **k: None, *args) if params[2] == "progress" else
           compare_tab.run_compare(None, None, *args, progress=lambda *a, **k: None))
    updates = out if inspect.isgenerator(out) else iter([out])
    for u in updates:
        table = u[1]
        codes = list(table["Codec"])
        done = [c for c, b in zip(codes, table["Bytes"]) if isinstance(b, (int, float)) and b == b]
        now = time.perf_counter() - t0
        if done and "first" not in marks:
            marks["first"] = now
        if len(done) == len(codecs) and "rows" not in marks:
            marks["rows"] = now
        if len(done) == len(codecs) and not (table.astype(str) == "…").any().any():
            marks["all"] = now
        for c, t in zip(codes, table["Target"]):
            if "encodes" in str(t):
                searches[c] = int(str(t).split("(")[1].split()[0])
    final = u[1]
    for m, col in (("lpips", "LPIPS"), ("ssimulacra2", "SSIMULACRA2"), ("ms_ssim", "MS-SSIM")):
        if m in metric_ids and final[col].isna().any():
            missing.add(col)
with open("/proc/self/status") as fh:
    peak = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1e6
print(json.dumps({"marks": marks, "peak_gb": peak, "searches": searches, "missing": sorted(missing), "prepared_s": prepared}))
"""


def make_photo(kodak: Path, size: tuple[int, int], folder: Path) -> Path:
    from PIL import Image

    path = folder / f"kodim23_{size[0]}x{size[1]}.png"
    if not path.exists():
        with Image.open(kodak / "kodim23.png") as im:
            im.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(path, compress_level=1)
    return path


def run_case(case: str, photo: Path, pythonpath: str, metric_ids: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": pythonpath, "IMGCR_CACHE_DIR": tempfile.mkdtemp(prefix="imgcr-speed-"),
           "IMGCR_CACHE_DISK": "0", "PYTHONUNBUFFERED": "1"}
    env.setdefault("IMGCR_WEIGHTS_DIR", str(ROOT.parent / "shared" / "weights"))  # LPIPS's AlexNet trunk
    code = f"SIX = {SIX!r}\n" + CHILD
    out = subprocess.run([sys.executable, "-c", code, case, str(photo), metric_ids], capture_output=True, text=True, env=env,
                         timeout=1800, cwd=pythonpath)
    if out.returncode != 0:
        raise SystemExit(f"{case} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res.get("missing"):  # a metric that did not run would make the figures look better than they are
        raise SystemExit(f"{case}: no value for {', '.join(res['missing'])} (weights? set IMGCR_WEIGHTS_DIR)\n{out.stderr[-2000:]}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--code", type=Path, default=ROOT, help="the imgcr checkout to measure (e.g. a worktree of an older commit)")
    ap.add_argument("--label", default="after")
    ap.add_argument("--metrics", default="", help="metric ids, comma-separated (default: the app's default metrics)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--write", type=Path, help="put the table into this docs file (block compare-speed-LABEL)")
    args = ap.parse_args()
    folder = Path(tempfile.gettempdir()) / "imgcr-speed-photos"
    folder.mkdir(exist_ok=True)
    rows = ["| case | first row | every row (size, PSNR, SSIM) | every metric | peak memory | equal-size encodes | prepared on drop |",
            "|---|---|---|---|---|---|---|"]
    figures = {}
    for case in args.cases.split(","):
        label, size = CASES[case]
        res = run_case(case, make_photo(args.kodak, size, folder), str(args.code), args.metrics)
        figures[case] = res
        m = res["marks"]
        enc = ", ".join(f"{c} {n}" for c, n in sorted(res["searches"].items())) or "-"
        rows.append(f"| {label} | {m.get('first', float('nan')):.1f} s | {m.get('rows', float('nan')):.1f} s | "
                    f"{m.get('all', float('nan')):.1f} s | {res['peak_gb']:.2f} GB | {enc} | "
                    f"{'-' if res.get('prepared_s') is None else format(res['prepared_s'], '.1f') + ' s'} |")
        print(rows[-1], flush=True)
    table = "\n".join(rows)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.write:
        how = f"--label {args.label}" + (f" --metrics {args.metrics}" if args.metrics else "")
        info = (f"Measured by `python benchmarks/compare_speed.py {how}` on {platform.machine()}, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}; empty cache, fresh process per case "
                "(the CLI cases load LPIPS within the time; the tab cases have it and plotly loaded, as the app does before it serves; "
                "a learned codec's weights load within the time).")
        write_block(args.write, f"compare-speed-{args.label}", info, table)


if __name__ == "__main__":
    main()
