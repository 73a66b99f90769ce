"""Score imgcr's trained JPEG models on the evaluation sets; write docs/training.md and the model cards.

Three tables, each row from ``imgcr.evaluate.evaluate`` (the code behind ``python -m imgcr eval``):

- colour: LIVE1, libjpeg-turbo 4:2:0 at q10-40, RGB PSNR/SSIM over the whole image: JPEG alone,
  DnCNN-3 run on Y (the gray model imgcr had), imgcr's colour U-Net; SwinIR's published q10 beside.
- gray: classic5 and LIVE1 gray (studio-range Y, as the DnCNN paper), q10-40: DnCNN-3 and imgcr's gray U-Net.
- study: the three networks trained for the same time budget, LIVE1 colour q10 and q30, with their
  parameters, training time and steps/s from their cards; a side-by-side figure and the curves chart.

Results are kept in docs/train_eval.json keyed by model, set and quality, with the weights' sha256:
a rerun computes only what is missing or stale (``--fresh`` recomputes everything).

Usage: python benchmarks/train_eval.py [--datasets ../shared/datasets] [--tables colour gray study] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from docs_block import write_block  # noqa: E402

from imgcr import weights  # noqa: E402
from imgcr.evaluate import EvalProtocol, evaluate  # noqa: E402
from imgcr.models import get_model  # noqa: E402
from imgcr.train import card as cards  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUALITIES = (10, 20, 30, 40)
SETS = {"LIVE1": ("LIVE1", {}), "LIVE1 gray": ("LIVE1", {"gray": True}), "classic5": ("classic5", {})}
COLOUR = ("dncnn3", "jpeg-unet-color")
COLOUR_ROWS = (("dncnn3", None), ("jpeg-unet-color", None), ("jpeg-unet-color", "x8"))  # (model, variant)
GRAY = ("dncnn3", "jpeg-unet-gray")
STUDY = ("jpeg-ae-color", "jpeg-rescnn-color", "jpeg-unet-color-study")
PUBLISHED_COLOUR = {10: ("SwinIR (Liang et al. 2021, 11.5 M params, trained on DIV2K+Flickr2K+BSD+WED)", 28.06)}
PUBLISHED_GRAY = {("classic5", 10): ("DnCNN-3 paper", 29.40)}


def _sha(model_id: str) -> str:
    return weights.sha256_file(weights.require(get_model(model_id).weights))


def run_all(jobs, datasets: Path, store: Path, fresh: bool) -> dict:
    """Each job is (model, set, quality) or (model, set, quality, "x8") for the x8 self-ensemble."""
    results = {} if fresh or not store.exists() else json.loads(store.read_text())
    for model_id, set_name, q, *variant in jobs:
        key = "|".join([model_id, set_name, str(q), *variant])
        sha = _sha(model_id)
        if key in results and results[key]["weights_sha256"] == sha:
            continue
        folder, kw = SETS[set_name]
        t0 = time.perf_counter()
        r = evaluate([datasets / folder], model_id, EvalProtocol.of(f"jpeg:{q}", ensemble="x8" in variant, **kw))
        results[key] = {"model": model_id, "set": set_name, "quality": q, "images": r["images"], "ensemble": bool(variant),
                        "input_psnr": r["degraded"]["psnr"], "input_ssim": r["degraded"]["ssim"],
                        "psnr": r["restored"]["psnr"], "ssim": r["restored"]["ssim"],
                        "model_seconds": round(r["seconds"], 1), "weights_sha256": sha}
        print(f"{key}: {r['degraded']['psnr']:.2f} -> {r['restored']['psnr']:.2f} dB "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        store.write_text(json.dumps(results, indent=1) + "\n")
    return results


def from_restoration_doc(results: dict, doc: Path) -> None:
    """DnCNN-3 on LIVE1 gray as docs/restoration.md measured it (same evaluate(), same protocol; PSNR only)."""
    import re

    for line in doc.read_text().splitlines():
        m = re.match(r"\| DnCNN-3 JPEG q(\d+), LIVE1 gray .*?\| PSNR \| ([\d.]+) \| \*\*([\d.]+)\*\*", line)
        if m:
            q = int(m.group(1))
            results[f"dncnn3|LIVE1 gray|{q}"] = {
                "model": "dncnn3", "set": "LIVE1 gray", "quality": q, "images": 29, "input_psnr": float(m.group(2)),
                "input_ssim": None, "psnr": float(m.group(3)), "ssim": None, "model_seconds": None,
                "weights_sha256": _sha("dncnn3"), "source": "docs/restoration.md"}


def _card_path(model_id: str) -> Path | None:
    return cards.find_for(weights.require(get_model(model_id).weights))


def record_in_cards(results: dict) -> None:
    """Each own model's evaluations go into its model card (the Restore tab shows them)."""
    for r in results.values():
        if not get_model(r["model"]).arch.startswith("imgcr-") or r.get("ensemble"):
            continue
        path = _card_path(r["model"])
        if path is not None:
            cards.add_evaluation(path, f"{r['set']} jpeg:{r['quality']}",
                                 {k: r[k] for k in ("images", "input_psnr", "input_ssim", "psnr", "ssim")})


def colour_table(res: dict) -> str:
    rows = ["| LIVE1 colour, RGB PSNR / SSIM | " + " | ".join(f"q{q}" for q in QUALITIES) + " |",
            "|---|" + "---|" * len(QUALITIES)]
    jpeg = [res[f"jpeg-unet-color|LIVE1|{q}"] for q in QUALITIES]
    rows.append("| JPEG alone (libjpeg-turbo, 4:2:0) | " + " | ".join(f"{r['input_psnr']:.2f} / {r['input_ssim']:.4f}" for r in jpeg) + " |")
    for m, variant in COLOUR_ROWS:
        keys = [f"{m}|LIVE1|{q}" + (f"|{variant}" if variant else "") for q in QUALITIES]
        if not all(k in res for k in keys):
            continue
        label = get_model(m).label + (", x8 self-ensemble (`--ensemble`, 8x the time)" if variant else "")
        rows.append(f"| {label} | " + " | ".join(
            f"{r['psnr']:.2f} / {r['ssim']:.4f} ({r['psnr'] - r['input_psnr']:+.2f})" for r in map(res.get, keys)) + " |")
    for q, (who, value) in PUBLISHED_COLOUR.items():
        rows.append(f"| published: {who} | " + " | ".join(f"{value:.2f}" if qq == q else "" for qq in QUALITIES) + " |")
    return "\n".join(rows)


def gray_table(res: dict) -> str:
    rows = ["| set | model | " + " | ".join(f"q{q}" for q in QUALITIES) + " |", "|---|---|" + "---|" * len(QUALITIES)]
    for s in ("classic5", "LIVE1 gray"):
        jpeg = [res[f"jpeg-unet-gray|{s}|{q}"] for q in QUALITIES]
        rows.append(f"| {s} | JPEG alone | " + " | ".join(f"{r['input_psnr']:.2f}" for r in jpeg) + " |")
        for m in GRAY:
            rs = [res[f"{m}|{s}|{q}"] for q in QUALITIES]
            rows.append(f"| {s} | {get_model(m).label} | " + " | ".join(
                f"{r['psnr']:.2f} / " + (f"{r['ssim']:.4f}" if r["ssim"] is not None else "— (docs/restoration.md)")
                for r in rs) + " |")
        for (ps, q), (who, value) in PUBLISHED_GRAY.items():
            if ps == s:
                rows.append(f"| {s} | published: {who} | " + " | ".join(f"{value:.2f}" if qq == q else "" for qq in QUALITIES) + " |")
    return "\n".join(rows)


def study_table(res: dict) -> str:
    rows = ["| model | parameters | training | steps | steps/s | LIVE1 q10 PSNR / SSIM | LIVE1 q30 PSNR / SSIM |",
            "|---|---|---|---|---|---|---|"]
    jpeg10, jpeg30 = res[f"{STUDY[0]}|LIVE1|10"], res[f"{STUDY[0]}|LIVE1|30"]
    rows.append(f"| JPEG alone | | | | | {jpeg10['input_psnr']:.2f} / {jpeg10['input_ssim']:.4f} | "
                f"{jpeg30['input_psnr']:.2f} / {jpeg30['input_ssim']:.4f} |")
    for m in (*STUDY, "jpeg-unet-color"):
        if f"{m}|LIVE1|10" not in res:
            continue
        card = cards.read(_card_path(m))
        a, b = res[f"{m}|LIVE1|10"], res[f"{m}|LIVE1|30"]
        label = get_model(m).label if m in STUDY else "(c') the same U-Net given more time: the shipped jpeg-unet-color"
        before = card.get("init_card") or {}  # a fine-tuned model: count the run it started from too
        seconds = card["wall_seconds"] + (before.get("wall_seconds") or 0)
        steps = card["steps"] + (before.get("steps") or 0)
        runs = f" ({1 + before.get('runs', 1)} runs)" if before else ""
        rows.append(f"| {label} | {card['parameters'] / 1e6:.2f} M | {seconds / 60:.1f} min{runs} | "
                    f"{steps} | {steps / seconds:.2f} | {a['psnr']:.2f} / {a['ssim']:.4f} | "
                    f"{b['psnr']:.2f} / {b['ssim']:.4f} |")
    return "\n".join(rows)


def kodak_block(results_path: Path) -> tuple[str, str]:
    """BD-rate of compress-then-restore with the U-Net against JPEG and against JPEG + DnCNN-3, from a bench run."""
    from imgcr.bench.rd import bd_table, curves
    from imgcr.bench.sweep import load_results

    doc = load_results(results_path)
    rows = ["| codec | anchor | metric | BD-rate % | BD-metric | overlap | points |", "|---|---|---|---|---|---|---|"]
    for metric in ("psnr", "ssim"):
        for anchor in ("jpeg", "jpeg+dncnn3"):
            for r in bd_table(doc["records"], anchor, metric):
                if r["codec"] == "jpeg+jpeg-unet-color" or (anchor == "jpeg" and r["codec"] == "jpeg+dncnn3"):
                    rate = "n/a" if r["bd_rate"] is None else f"{r['bd_rate']:+.2f}"
                    val = "n/a" if r["bd_metric"] is None else f"{r['bd_metric']:+.4f}"
                    rows.append(f"| {r['codec']} | {anchor} | {metric} | {rate} | {val} | {r['overlap']:.2f} | {r['points']} |")
    pts = curves(doc["records"], "psnr")
    rows += ["", "| JPEG quality | " + " | ".join(f"{c} bpp / PSNR" for c in pts) + " |", "|---|" + "---|" * len(pts)]
    for i, p in enumerate(pts["jpeg"]):
        rows.append(f"| {p['quality']:g} | " + " | ".join(f"{pts[c][i]['bpp']:.3f} / {pts[c][i]['value']:.2f}" for c in pts) + " |")
    info = (f"From `{results_path.name}`: {len(doc['images'])} Kodak24 images, JPEG quality "
            f"{', '.join(f'{p:g}' for p in sorted({r['quality'] for r in doc['records']}))}; the restored codecs are "
            "JPEG's own bytes (the same file size) decoded and restored, so each row compares decoders at equal rate. "
            "Negative BD-rate = fewer bits for the same quality. Regenerate: `python -m imgcr bench "
            "../shared/datasets/Kodak24 --codecs jpeg,jpeg+dncnn3,jpeg+jpeg-unet-color --qualities 10,20,30,40,50 "
            "--metrics psnr,ssim --out docs/kodak24_restore.json` then `python benchmarks/train_eval.py --kodak docs/kodak24_restore.json`.")
    return info, "\n".join(rows)


def side_by_side(datasets: Path, out: Path, image: str = "monarch.bmp", q: int = 10, box=(256, 160, 192)) -> None:
    """Original, JPEG q10 and each study model's output on one LIVE1 crop, labelled, lossless PNG."""
    from PIL import Image, ImageDraw

    from imgcr.degrade import Step, degrade
    from imgcr.images import load_image
    from imgcr.models.run import restore

    ref = load_image(datasets / "LIVE1" / image).pixels
    jpeg = degrade(ref, [Step("jpeg", q)])
    x, y, s = box
    panels = [("original", ref), (f"JPEG q{q}", jpeg)]
    panels += [(get_model(m).label.split(": ")[-1].split(" (")[0], restore(jpeg, get_model(m)).pixels) for m in STUDY]
    panels.append(("U-Net, full run (jpeg-unet-color)", restore(jpeg, get_model("jpeg-unet-color")).pixels))
    scale, pad = 2, 22
    sheet = Image.new("RGB", (len(panels) * (s * scale + 4), s * scale + pad), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, px) in enumerate(panels):
        crop = Image.fromarray(px[y : y + s, x : x + s]).resize((s * scale, s * scale), Image.NEAREST)
        sheet.paste(crop, (i * (s * scale + 4), pad))
        draw.text((i * (s * scale + 4) + 4, 4), label, fill="black")
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    ap.add_argument("--tables", nargs="*", default=["colour", "gray", "study"], choices=["colour", "gray", "study"])
    ap.add_argument("--store", type=Path, default=ROOT / "docs" / "train_eval.json")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "training.md")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--kodak", type=Path, help="a bench results JSON of jpeg, jpeg+dncnn3, jpeg+jpeg-unet-color on Kodak24")
    ap.add_argument("--dncnn3-live1-gray-from", type=Path, metavar="RESTORATION_MD",
                    help="take DnCNN-3's LIVE1 gray PSNR from docs/restoration.md instead of 15 CPU minutes")
    ap.add_argument("--only", nargs="+", metavar="MODEL", help="compute these models' rows only; write no docs")
    args = ap.parse_args()
    jobs = []
    if "colour" in args.tables:
        jobs += [(m, "LIVE1", q) for m in reversed(COLOUR) for q in QUALITIES]
        jobs += [(m, "LIVE1", q, v) for m, v in COLOUR_ROWS if v for q in QUALITIES]
    if "gray" in args.tables:
        jobs += [(m, s, q) for m in reversed(GRAY) for s in ("classic5", "LIVE1 gray") for q in QUALITIES]
    if "study" in args.tables:
        jobs += [(m, "LIVE1", q) for m in STUDY for q in (10, 30)]
    if args.dncnn3_live1_gray_from:
        jobs = [j for j in jobs if j[:2] != ("dncnn3", "LIVE1 gray")]
    if args.only:
        run_all([j for j in jobs if j[0] in args.only], args.datasets, args.store, args.fresh)
        return
    res = run_all(jobs, args.datasets, args.store, args.fresh)
    if args.dncnn3_live1_gray_from:
        from_restoration_doc(res, args.dncnn3_live1_gray_from)
    record_in_cards(res)
    info = "Measured by `python benchmarks/train_eval.py` (results kept in docs/train_eval.json)."
    if "colour" in args.tables:
        write_block(args.out, "colour", info + " Cells: PSNR dB / SSIM (gain over JPEG alone).", colour_table(res))
    if "gray" in args.tables:
        write_block(args.out, "gray", info + " Cells: PSNR dB / SSIM.", gray_table(res))
    if "study" in args.tables:
        write_block(args.out, "study", info, study_table(res))
        side_by_side(args.datasets, ROOT / "docs" / "img" / "study_side_by_side.png")
        from imgcr.train.report import curves_figure

        fig = curves_figure([cards.read(_card_path(m)) for m in STUDY], x="seconds")
        fig.write_html(ROOT / "docs" / "study_curves.html", include_plotlyjs="cdn")
    if args.kodak:
        write_block(args.out, "kodak", *kodak_block(args.kodak))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
