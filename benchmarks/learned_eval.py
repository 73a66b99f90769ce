"""Learned codecs on Kodak24 against the classical ones: RD curves, BD-rate, time and memory.

1. Sweeps the learned codecs over Kodak24 (real files: bpp is the .icr file's bytes) and saves the
   records (``--json``; ``--reuse`` reads them back instead of re-running).
2. Adds the classical codecs' records from a saved Kodak run (``--classical``, default
   docs/kodak24_results.json, written by benchmarks/bench_scaling.py).
3. Writes into ``--out`` (docs/learned.md): BD-rate (PSNR) of every codec against JPEG, the
   published CompressAI curves' BD-rate against the same JPEG anchor, encode/decode time per Kodak
   image, and time and peak memory for one Kodak image and one 2048x1280 photo (each in a fresh
   process, so the peak is that codec's alone); and ``--html``: the RD chart with the published
   curves drawn beside.

Usage: python benchmarks/learned_eval.py [--images ../shared/datasets/Kodak24] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.docs_block import write_block  # noqa: E402
from imgcr.bench.bdrate import bd  # noqa: E402
from imgcr.bench.rd import bd_table, curves  # noqa: E402
from imgcr.bench.sweep import Sweep, bench, load_results, save_json  # noqa: E402
from imgcr.references import KODAK_PSNR, kodak_curves  # noqa: E402

CLASSICAL = ("jpeg", "webp", "jpeg2000", "avif", "jpegxl")

_PROBE = """
import json, resource, sys, time
import numpy as np
from PIL import Image
from imgcr.codecs import get_codec
from imgcr.images import load_image
codec = get_codec(sys.argv[1])
px = load_image(sys.argv[2]).pixels
w, h = int(sys.argv[3]), int(sys.argv[4])
if (px.shape[1], px.shape[0]) != (w, h):
    im = Image.fromarray(px)
    s = max(w / im.width, h / im.height)
    im = im.resize((round(im.width * s), round(im.height * s)), Image.BICUBIC)
    px = np.asarray(im)[:h, :w].copy()
def hwm_kb():
    # this process's own peak RSS: /proc's VmHWM starts afresh at exec, while ru_maxrss can carry the peak of
    # the (forked) parent into the child
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
codec.prepare()
base = hwm_kb()
settings = codec.resolve(float(sys.argv[5]), json.loads(sys.argv[6]))
t = time.perf_counter(); data = codec.encode(px, settings); enc = time.perf_counter() - t
peak_enc = hwm_kb()
t = time.perf_counter(); out = codec.decode(data); dec = time.perf_counter() - t
peak = hwm_kb()
print(json.dumps({"size": f"{w}x{h}", "bytes": len(data), "bpp": len(data) * 8 / (w * h), "encode_s": enc,
                  "decode_s": dec, "rss_before_mb": base / 1024, "peak_mb": peak / 1024,
                  "peak_encode_mb": peak_enc / 1024}))
"""


def probe(codec: str, image: Path, w: int, h: int, quality: float = 75, options: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, codec, str(image), str(w), str(h), str(quality),
                          json.dumps(options or {})], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def refined_name(codec: str, steps: int) -> str:
    return f"{codec}+refine{steps}"


def sweep_refined(doc: dict, codecs: list[str], steps: int, images: Path, workers: int, path: Path) -> dict:
    """Sweep ``codecs`` with ``refine=steps`` (encoder-side latent refinement) as the codecs
    ``CODEC+refineN``, where the saved ``doc`` lacks them or swept them with other weights, and save it."""
    from imgcr.codecs import get_codec

    libraries = doc.get("libraries", {})
    have = {r["codec"] for r in doc["records"]}
    for codec in codecs:
        name, lib = refined_name(codec, steps), get_codec(codec).library_version()
        if name in have and libraries.get(name) == lib:
            continue
        more = bench([images], Sweep.of([codec], metric_ids=("psnr", "ssim"), options={codec: {"refine": steps}}),
                     workers=workers)
        new = [{**r, "codec": name} for r in more["records"]]
        libraries = {**libraries, name: lib}
        doc = {**doc, "records": [r for r in doc["records"] if r["codec"] != name] + new, "libraries": libraries,
               "refined_run": more["run"]}
        save_json(doc, path)
    return doc


def sweep_missing(doc: dict, codecs: list[str], images: Path, workers: int, path: Path) -> dict:
    """Sweep the ``codecs`` the saved ``doc`` lacks, or swept with another library version or other weights
    (their old records are dropped), and save it."""
    from imgcr.codecs import get_codec

    libraries = doc.get("libraries", {})
    have = {r["codec"] for r in doc["records"]}
    missing = [c for c in codecs if c not in have or libraries.get(c, get_codec(c).library_version())
               != get_codec(c).library_version()]
    if missing:
        more = bench([images], Sweep.of(missing, metric_ids=("psnr", "ssim")), workers=workers)
        kept = [r for r in doc["records"] if r["codec"] not in missing]
        doc = {**more, "records": kept + more["records"], "libraries": {**libraries, **more.get("libraries", {})}}
        save_json(doc, path)
    return doc


def gray_set_rows(args, codecs: list[str]) -> tuple[str, str]:
    """JPEG and ``codecs`` on a gray set (BSD68): BD-rate against JPEG overall and below ``--low-rate``."""
    wanted = ["jpeg", *codecs]
    doc = load_results(args.gray_json) if args.reuse and args.gray_json.is_file() else {"records": []}
    doc = sweep_missing(doc, wanted, args.gray_set, args.workers, args.gray_json)
    records = [r for r in doc["records"] if r["codec"] in wanted]
    rows = ["| codec | BD-rate vs JPEG (PSNR) | BD-PSNR | "
            f"BD-rate < {args.low_rate:g} bpp | BD-PSNR < {args.low_rate:g} bpp |", "|---|---|---|---|---|"]
    low = {r["codec"]: r for r in bd_table(records, "jpeg", "psnr", max_bpp=args.low_rate)}
    for r in bd_table(records, "jpeg", "psnr"):
        cells = []
        for res in (r, low[r["codec"]]):
            cells += ["n/a" if res["bd_rate"] is None else f"{res['bd_rate']:+.1f} %",
                      "n/a" if res["bd_metric"] is None else f"{res['bd_metric']:+.2f} dB"]
        rows.append(f"| {r['codec']} | " + " | ".join(cells) + " |")
    psnr, ssim = curves(records, "psnr"), curves(records, "ssim")
    rows += ["", "| codec | quality | bpp | PSNR (dB) | SSIM |", "|---|---|---|---|---|"]
    for codec in wanted:
        for p, q in zip(psnr.get(codec, []), ssim.get(codec, []), strict=False):
            rows.append(f"| {codec} | {p['quality']:g} | {p['bpp']:.3f} | {p['value']:.2f} | {q['value']:.4f} |")
    n = len({r["image"] for r in records})
    info = (f"{args.gray_set.name} ({n} gray images, loaded as RGB with R = G = B; JPEG writes them as one-channel "
            f"JPEGs, the gray ComCNN codes their luma), PSNR and SSIM, mean "
            f"at equal setting; bpp over the original pixels. The dissertation this codec comes from reports "
            f"24 dB / SSIM 0.74 for its ComCNN -> JPEG -> RecCNN on BSD against 32.75 dB / 0.88 for JPEG "
            f"(at a rate it does not state). Regenerate: `python benchmarks/learned_eval.py --gray-codecs "
            f"{','.join(codecs)}`.")
    return info, "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--codecs", default="ae-hyperprior,ae-factorized,ae-multires,comcnn-jpeg", help="learned codecs for Kodak24 (colour)")
    ap.add_argument("--classical", type=Path, default=ROOT / "docs" / "kodak24_results.json")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "kodak24_learned.json")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "learned.md")
    ap.add_argument("--html", type=Path, default=ROOT / "docs" / "learned_rd.html")
    ap.add_argument("--reuse", action="store_true", help="read --json instead of running the sweep")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--low-rate", type=float, default=0.5, help="also score the curves below this bpp")
    ap.add_argument("--gray-set", type=Path, default=ROOT.parent / "shared" / "datasets" / "BSD68",
                    help="a gray evaluation set (the ComCNN dissertation's BSD68): JPEG and the codecs in --gray-codecs")
    ap.add_argument("--gray-codecs", default="comcnn-jpeg,comcnn-jpeg-gray",
                    help="codecs to score on --gray-set; an empty string skips it")
    ap.add_argument("--gray-json", type=Path, default=ROOT / "docs" / "bsd68_learned.json")
    ap.add_argument("--refine", type=int, default=10,
                    help="also sweep --refine-codecs with this many encoder-side refinement steps (0: skip)")
    ap.add_argument("--refine-codecs", default="ae-hyperprior,ae-factorized")
    ap.add_argument("--no-time", action="store_true",
                    help="keep the time and memory table as it is (its probes need a quiet CPU)")
    args = ap.parse_args()
    learned = [c for c in args.codecs.split(",") if c]

    if args.reuse:  # the saved sweep; codecs it lacks (or swept with another library or weights) are swept now
        doc = sweep_missing(load_results(args.json), learned, args.images, args.workers, args.json)
    else:
        doc = bench([args.images], Sweep.of(learned, metric_ids=("psnr", "ssim")), workers=args.workers)
        save_json(doc, args.json)
    refined = [c for c in args.refine_codecs.split(",") if c] if args.refine > 0 else []
    if refined:
        doc = sweep_refined(doc, refined, args.refine, args.images, args.workers, args.json)
    keep = {*learned, *(refined_name(c, args.refine) for c in refined)}
    doc = {**doc, "records": [r for r in doc["records"] if r["codec"] in keep]}
    records = [r for r in load_results(args.classical)["records"] if r["codec"] in CLASSICAL] + doc["records"]

    # --- BD-rate against JPEG
    rows = ["| codec | BD-rate vs JPEG (PSNR) | BD-PSNR | overlap | points |", "|---|---|---|---|---|"]
    for r in bd_table(records, "jpeg", "psnr"):
        rate = "n/a" if r["bd_rate"] is None else f"{r['bd_rate']:+.1f} %"
        val = "n/a" if r["bd_metric"] is None else f"{r['bd_metric']:+.2f} dB"
        rows.append(f"| {r['codec']} | {rate} | {val} | {r['overlap']:.2f} | {r['points']} |")
    jpeg = curves(records, "psnr")["jpeg"]
    for name, pts in KODAK_PSNR.items():
        res = bd([p["bpp"] for p in jpeg], [p["value"] for p in jpeg], [b for b, _ in pts], [v for _, v in pts])
        rate = "n/a" if res.bd_rate is None else f"{res.bd_rate:+.1f} %"
        val = "n/a" if res.bd_metric is None else f"{res.bd_metric:+.2f} dB"
        rows.append(f"| {name} | {rate} | {val} | {res.overlap:.2f} | {len(pts)} |")
    for codec in refined:
        name = refined_name(codec, args.refine)
        res = {r["codec"]: r for r in bd_table([r for r in records if r["codec"] in (codec, name)], codec, "psnr")}[name]
        rows.append(f"| {name} against {codec} | {res['bd_rate']:+.1f} % | {res['bd_metric']:+.2f} dB | "
                    f"{res['overlap']:.2f} | {res['points']} |")
    rows += ["", f"Below {args.low_rate:g} bpp only (the low-rate end, where ComCNN -> JPEG -> RecCNN is meant to "
             "help; fits use every point):", "", "| codec | BD-rate vs JPEG (PSNR), < "
             f"{args.low_rate:g} bpp | BD-PSNR | reason |", "|---|---|---|---|"]
    for r in bd_table(records, "jpeg", "psnr", max_bpp=args.low_rate):
        rate = "n/a" if r["bd_rate"] is None else f"{r['bd_rate']:+.1f} %"
        val = "n/a" if r["bd_metric"] is None else f"{r['bd_metric']:+.2f} dB"
        rows.append(f"| {r['codec']} | {rate} | {val} | {r['reason'] or ''} |")
    pts = curves(doc["records"], "psnr")
    rows += ["", "| codec | quality | bpp | PSNR (dB) | SSIM | encode ms | decode ms |", "|---|---|---|---|---|---|---|"]
    ssim = curves(doc["records"], "ssim")
    for codec, cps in pts.items():
        for i, p in enumerate(cps):
            recs = [r for r in doc["records"] if r["codec"] == codec and r["quality"] == p["quality"]]
            enc = sum(r["encode_ms"] for r in recs) / len(recs)
            dec = sum(r["decode_ms"] for r in recs) / len(recs)
            rows.append(f"| {codec} | {p['quality']:g} | {p['bpp']:.3f} | {p['value']:.2f} | "
                        f"{ssim[codec][i]['value']:.4f} | {enc:.0f} | {dec:.0f} |")
    info = (f"Kodak24 ({len(doc['images'])} images), RGB PSNR, mean at equal setting; learned codecs' bpp is the whole "
            f".icr file; encode/decode ms with {doc['run']['workers']} worker(s) coding at once"
            + (f" ({doc['refined_run']['workers']} for the +refine sweeps). " if refined and "refined_run" in doc else ". ")
            + f"Classical records from `{args.classical.name}`; published curves from CompressAI's "
            "results/image/kodak (trained for millions of GPU steps). Regenerate: `python benchmarks/learned_eval.py`.")
    write_block(args.out, "learned-kodak", info, "\n".join(rows))

    gray = [c for c in args.gray_codecs.split(",") if c]
    if gray:
        write_block(args.out, "learned-bsd68", *gray_set_rows(args, gray))

    # --- time and peak memory, one process each (the gray-only codecs code the Kodak image's luma)
    kodim = sorted(args.images.glob("*.png"))[0]
    trows = ["| codec | image | bytes | bpp | encode s | decode s | RSS before MB | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    runs = [(c, {}) for c in [*learned, *(c for c in gray if c not in learned)]]
    runs += [(c, {"refine": args.refine}) for c in refined]
    for codec, options in [] if args.no_time else runs:
        for w, h in ((768, 512), (2048, 1280)):
            p = probe(codec, kodim, w, h, options=options)
            label = refined_name(codec, options["refine"]) if options else codec
            trows.append(f"| {label} | {kodim.name} {p['size']} | {p['bytes']} | {p['bpp']:.3f} | {p['encode_s']:.2f} | "
                         f"{p['decode_s']:.2f} | {p['rss_before_mb']:.0f} | {p['peak_mb']:.0f} |")
    tinfo = ("Quality 75, the learned codecs' fixed 2 torch threads on this 2-core CPU, nothing else running, each row "
             "a fresh process; CODEC+refineN is the codec with the option refine=N (N refinement steps at encode); "
             "'RSS before' is the process with Python, torch and the weights loaded, before the image is coded. "
             "The 2048x1280 photo is the Kodak image upscaled (bicubic) and cropped.")
    if not args.no_time:
        write_block(args.out, "learned-time", tinfo, "\n".join(trows))

    from imgcr.bench.plots import rd_figure

    fig = rd_figure(records, "psnr", extra=kodak_curves("psnr"))
    args.html.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(args.html, include_plotlyjs="cdn", full_html=True)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
