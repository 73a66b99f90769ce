"""``python -m imgcr``: the command line, on the same backend as the UI.

Only this module turns :class:`~imgcr.errors.ImgcrError` into exit codes: a user
error prints one line on stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from imgcr import __version__
from imgcr.errors import ImgcrError, UnknownNameError  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except ImgcrError as exc:
        print(f"imgcr: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("imgcr: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m imgcr", description="imgcr: image compression and restoration lab")
    p.add_argument("--version", action="version", version=f"imgcr {__version__}")
    sub = p.add_subparsers(dest="command")

    c = sub.add_parser("compare", help="compare codecs on one image")
    c.add_argument("image")
    c.add_argument("--codecs", default="jpeg,png,jpeg2000,webp,avif,jpegxl", help="comma-separated codec ids")
    c.add_argument("--quality", type=float, default=None, help="one 0-100 scale each codec maps to its knob (default 75)")
    t = c.add_mutually_exclusive_group()
    t.add_argument("--target-size", type=float, metavar="BYTES", help="equal file size, in bytes")
    t.add_argument("--target-bpp", type=float, metavar="X", help="equal file size, in bits per pixel")
    t.add_argument("--target-psnr", type=float, metavar="DB", help="equal quality: PSNR in dB")
    t.add_argument("--target-ssim", type=float, metavar="S", help="equal quality: SSIM")
    t.add_argument("--target-ssimulacra2", type=float, metavar="N", help="equal quality: SSIMULACRA2 score (90 visually lossless)")
    t.add_argument("--target-butteraugli", type=float, metavar="D", help="equal quality: Butteraugli max-norm distance")
    c.add_argument("--metrics", default="psnr,ssim,ms_ssim,lpips,ssimulacra2", help="comma-separated metric ids")
    c.add_argument("--opt", action="append", default=[], metavar="CODEC.NAME=VALUE", help="codec option, repeatable")
    c.add_argument("--repeats", type=int, default=1, help="timing runs per encode/decode (median; default one run)")
    c.add_argument("--out", type=Path, help="write each encoded file into this folder")
    c.add_argument("--elsewhere", action="append", default=[], metavar="FILE",
                   help="a file made from IMAGE by another encoder, measured beside the codecs (repeatable)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.set_defaults(func=_compare)

    b = sub.add_parser("bench", help="sweep codecs x settings over images; write records")
    b.add_argument("paths", nargs="+", help="image files and/or folders")
    b.add_argument("--codecs", default="jpeg,png,jpeg2000,webp,avif,jpegxl")
    b.add_argument("--qualities", help="comma-separated 0-100 settings (default: each codec's own sweep)")
    b.add_argument("--metrics", default="psnr,ssim")
    b.add_argument("--opt", action="append", default=[], metavar="CODEC.NAME=VALUE")
    b.add_argument("--workers", type=int, default=1, help="local worker processes")
    b.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786, or local[:N] for a LocalCluster of N workers here")
    b.add_argument("--repeats", type=int, default=1, help="timing runs per encode/decode")
    b.add_argument("--out", type=Path, required=True, help="results JSON")
    b.add_argument("--csv", type=Path, help="also write the records as CSV")
    b.add_argument("--rd-csv", type=Path, help="also write the rate-distortion curves' data (mean over images) as CSV")
    b.add_argument("--charts", type=Path, help="also write every chart as one HTML page (as `plot` does)")
    b.set_defaults(func=_bench)

    r = sub.add_parser("bd-rate", help="BD-rate / BD-metric of each codec against an anchor")
    r.add_argument("results", type=Path)
    r.add_argument("--anchor", default="jpeg")
    r.add_argument("--metric", default="psnr")
    r.add_argument("--image", help="one image's curves instead of the mean over images")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_bd_rate)

    pl = sub.add_parser("plot", help="write the benchmark charts as one HTML page")
    pl.add_argument("results", type=Path)
    pl.add_argument("--out", type=Path, required=True)
    pl.add_argument("--anchor", default="jpeg")
    pl.add_argument("--setting", type=float, default=75, help="setting for the bar charts and heat map")
    pl.set_defaults(func=_plot)

    rs = sub.add_parser("restore", help="degrade (optionally) and restore one image with a model")
    rs.add_argument("image")
    rs.add_argument("--model", required=True, help="model id (see `models`)")
    rs.add_argument("--degrade", help="e.g. jpeg:10 | webp:Q | avif:Q | noise:25 | down:4 | blur:1.5, comma-chained")
    rs.add_argument("--seed", type=int, default=0)
    rs.add_argument("--sigma", type=float, help="noise level for models that take one (default: the chain's, else 25)")
    rs.add_argument("--scale", type=int, help="SR factor (default: the chain's downscale, else the model's)")
    rs.add_argument("--metrics", default="psnr,ssim,lpips")
    rs.add_argument("--out", type=Path, help="write the restored image (PNG)")
    rs.add_argument("--save-degraded", type=Path, help="write the degraded input (PNG)")
    rs.add_argument("--ensemble", action="store_true",
                    help="x8 self-ensemble: average the outputs on the 8 flips/rotations (8x the time)")
    rs.add_argument("--json", action="store_true")
    rs.set_defaults(func=_restore)

    ms = sub.add_parser("models", help="list restoration models and whether their weights are here")
    ms.add_argument("--json", action="store_true")
    ms.set_defaults(func=_models)

    ev = sub.add_parser("eval", help="dataset means for a model under a degradation protocol")
    ev.add_argument("dataset", help="folder of reference images")
    ev.add_argument("--model", required=True)
    ev.add_argument("--degrade", default="", help="the degradation (omit with --lr-dir)")
    ev.add_argument("--lr-dir", help="read low-resolution inputs by file name from this folder (SR sets)")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--sigma", type=float)
    ev.add_argument("--scale", type=int)
    ev.add_argument("--metrics", default="psnr,ssim")
    ev.add_argument("--y-channel", action="store_true", help="PSNR on BT.601 studio-range Y")
    ev.add_argument("--shave", type=int, default=0, help="border pixels left out of the metrics")
    ev.add_argument("--limit", type=int, help="first N images only")
    ev.add_argument("--gray", action="store_true", help="convert colour references to gray first (Y of studio-range YCbCr, as MATLAB)")
    ev.add_argument("--ensemble", action="store_true", help="x8 self-ensemble (8 flips/rotations averaged)")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=_eval)

    dc = sub.add_parser("decode", help="decode any file imgcr writes (learned .icr or classical) to a PNG")
    dc.add_argument("file", type=Path)
    dc.add_argument("-o", "--out", type=Path, required=True, help="output PNG")
    dc.add_argument("--codec", help="decode with this codec instead of the one the file's signature names "
                                    "(e.g. jpeg+dncnn3 for a compress-then-restore JPEG)")
    dc.set_defaults(func=_decode)

    sc = sub.add_parser("score", help="score a distorted image against its reference (any two files imgcr reads)")
    sc.add_argument("reference")
    sc.add_argument("distorted")
    sc.add_argument("--metrics", default="ssimulacra2,butteraugli,psnr", help="comma-separated metric ids")
    sc.add_argument("--json", action="store_true", help="print one JSON object")
    sc.set_defaults(func=_score)

    k = sub.add_parser("codecs", help="list codecs and whether they are available")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=_codecs)

    w = sub.add_parser("weights", help="find or download weight files")
    wsub = w.add_subparsers(dest="action")
    d = wsub.add_parser("download", help="download a weight file (sha256-checked) into the cache")
    d.add_argument("id")
    d.add_argument("--url", help="download from this address instead of the Hub mirror and the official source")
    d.add_argument("--trust-unpinned", action="store_true",
                   help="allow a file with no published sha256 (its hash is printed and kept beside it)")
    d.set_defaults(func=_weights_download)
    ls = wsub.add_parser("list", help="list weight files and where they were found")
    ls.set_defaults(func=_weights_list)

    from imgcr.train.commands import register as register_train

    register_train(sub)
    return p


def _split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _target(args):
    from imgcr.search import TARGET_KINDS, Target

    for kind in TARGET_KINDS:
        value = getattr(args, f"target_{kind}")
        if value is not None:
            return Target(kind, value)
    return None


def _score(args) -> int:
    from imgcr.scoring import score_files

    report = score_files(args.reference, args.distorted, _split(args.metrics))
    print(json.dumps(report.to_json(), indent=2) if args.json else "\n".join(report.lines()))
    return 0


def _compare(args) -> int:
    from imgcr.codecs import parse_options
    from imgcr.images import load_image
    from imgcr.pipeline import CompareSettings, compare_iter

    image = load_image(args.image)
    target = _target(args)
    settings = CompareSettings.of(args.quality, target, parse_options(args.opt), _split(args.metrics), args.repeats)
    results = _streamed(compare_iter(image, _split(args.codecs), settings))
    if args.elsewhere:
        from imgcr import elsewhere

        results += [elsewhere.result(image, path, settings.metric_ids) for path in args.elsewhere]
    if args.out:
        for r in results:
            if r.ok:
                r.write(args.out, Path(args.image).stem)
    doc = {
        "imgcr": __version__,
        "image": {
            "path": str(args.image),
            "width": image.width,
            "height": image.height,
            "digest": image.digest,
            "notes": list(image.notes),
        },
        "mode": {"quality": args.quality, "target": None if target is None else {"kind": target.kind, "value": target.value}},
        "results": [r.to_json() for r in results],
    }
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(_table(doc))
    return 0


def _streamed(updates) -> list:
    """Consume a comparison's updates, telling stderr each codec as it lands and when its slow metrics are in."""
    import time

    t0, last = time.perf_counter(), []
    said: dict[str, str] = {}
    for last in updates:
        for r in (r for r in last if r is not None):
            state = "pending" if r.pending else "done"
            if said.get(r.codec) == state:
                continue
            said[r.codec] = state
            if not r.ok:
                what = f"{'unavailable' if not r.available else 'failed'}: {r.error}"
            elif r.pending:
                fast = ", ".join(f"{m} {_fmt(v, 4)}" for m, v in r.metrics.items() if m not in r.pending)
                what = f"{r.bytes:,} bytes, {r.bpp:.3f} bpp{', ' + fast if fast else ''}; {', '.join(r.pending)} to come"
            else:
                what = "all metrics in"
            print(f"[{time.perf_counter() - t0:6.1f} s] {r.codec}: {what}", file=sys.stderr, flush=True)
    return [r for r in last if r is not None]


def _fmt(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"


def _table(doc) -> str:
    img = doc["image"]
    lines = [f"{img['path']}: {img['width']}x{img['height']}" + "".join(f"\n  note: {n}" for n in img["notes"])]
    cw = max([11, *(len(r["codec"]) + 1 for r in doc["results"])])
    head = (f"{'codec':<{cw}}{'bytes':>10}{'bpp':>8}{'ratio':>8}{'PSNR':>9}{'SSIM':>8}{'MS-SSIM':>9}{'LPIPS':>8}{'SSIM2':>8}"
            f"{'Butt.':>7}{'enc ms':>9}{'dec ms':>9}  target")
    lines.append(head)
    for r in doc["results"]:
        if r["error"]:
            lines.append(f"{r['codec']:<{cw}}  unavailable: {r['error']}" if not r["available"] else f"{r['codec']:<{cw}}  error: {r['error']}")
            continue
        tgt = r["target"] or {}
        tnote = ""
        if tgt.get("error_pct") is not None:
            tnote = f"{tgt['error_pct']:+.1f}% ({tgt['encodes']} encodes)" + (f" {tgt['note']}" if tgt.get("note") else "")
        elif tgt.get("note"):
            tnote = tgt["note"]
        psnr = "lossless" if r["psnr"] is None and r["lossless"] else _fmt(r["psnr"])
        lines.append(
            f"{r['codec']:<{cw}}{r['bytes']:>10}{_fmt(r['bpp'], 3):>8}{_fmt(r['ratio'], 1):>8}{psnr:>9}"
            f"{_fmt(r['ssim'], 4):>8}{_fmt(r['ms_ssim'], 4):>9}{_fmt(r['lpips'], 4):>8}"
            f"{_fmt(r.get('ssimulacra2'), 2):>8}{_fmt(r.get('butteraugli'), 2):>7}"
            f"{_fmt(r['encode_ms'], 1):>9}{_fmt(r['decode_ms'], 1):>9}  {tnote}"
        )
    return "\n".join(lines)


def _bench(args) -> int:
    from tqdm import tqdm

    from imgcr.bench.artefacts import Artefacts, write_artefacts
    from imgcr.bench.sweep import Sweep, bench, parse_qualities, tune_malloc
    from imgcr.codecs import parse_options

    tune_malloc()  # a batch process: big arrays stay in the heap (see imgcr.bench.sweep.tune_malloc)
    bar = tqdm(total=0, unit="job", file=sys.stderr, disable=None)

    def progress(done, total, label):
        bar.total = total
        bar.set_postfix_str(label)
        bar.update(done - bar.n)

    sweep = Sweep.of(_split(args.codecs), parse_qualities(args.qualities), _split(args.metrics), parse_options(args.opt),
                     args.repeats)
    try:
        doc = bench(args.paths, sweep, workers=args.workers, scheduler=args.scheduler, progress=progress)
    finally:
        bar.close()
    write_artefacts(doc, Artefacts(args.out, args.csv, args.rd_csv, args.charts))
    for codec, err in doc["errors"].items():
        print(f"imgcr: warning: {codec}: {err}", file=sys.stderr)
    print(f"{len(doc['records'])} records from {len(doc['images'])} images -> {args.out}", file=sys.stderr)
    return 0


def _bd_rate(args) -> int:
    from imgcr.bench.rd import bd_table
    from imgcr.bench.sweep import load_results

    doc = load_results(args.results)
    rows = bd_table(doc["records"], args.anchor, args.metric, args.image)
    if args.json:
        print(json.dumps({"anchor": args.anchor, "metric": args.metric, "image": args.image, "results": rows}, indent=2))
        return 0
    print(f"BD vs {args.anchor} on {args.metric} ({args.image or 'mean over images'}); negative BD-rate = fewer bits")
    print(f"{'codec':<12}{'BD-rate %':>10}{'BD-metric':>11}{'overlap':>9}  note")
    for r in rows:
        rate = "n/a" if r["bd_rate"] is None else f"{r['bd_rate']:+.2f}"
        metric = "n/a" if r["bd_metric"] is None else f"{r['bd_metric']:+.4f}"
        print(f"{r['codec']:<12}{rate:>10}{metric:>11}{r['overlap']:>9.2f}  {r['reason'] or ''}")
    return 0


def _plot(args) -> int:
    from imgcr.bench.artefacts import Artefacts, write_artefacts
    from imgcr.bench.sweep import load_results

    write_artefacts(load_results(args.results), Artefacts(charts_html=args.out), args.setting, args.anchor)
    print(args.out)
    return 0


def _restore(args) -> int:
    from PIL import Image

    from imgcr.images import load_image
    from imgcr.pairs import RestoreProtocol
    from imgcr.restoration import run_restore

    image = load_image(args.image)
    protocol = RestoreProtocol(args.degrade, args.seed, args.sigma, args.scale, args.ensemble)
    report = run_restore(image, [args.model], protocol, _split(args.metrics))
    run = report.runs[0]
    if run.error:
        raise ImgcrError(run.error)
    if args.out and run.pixels is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(run.pixels).save(args.out)
    if args.save_degraded:
        Image.fromarray(report.degraded).save(args.save_degraded)
    doc = {
        "image": {"path": str(args.image), "width": image.width, "height": image.height, "notes": list(image.notes)},
        "model": run.model, "device": run.device, "seconds": run.seconds, "degrade": report.chain, "seed": report.seed,
        "degraded": report.degraded_metrics, "restored": run.metrics, "notes": list(report.notes + run.notes),
        "baseline": {"label": report.baseline_label, **report.baseline_metrics}, "deltas": run.deltas,
        "factor": report.factor, "out": str(args.out) if args.out else None,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{run.model} on {run.device}: {run.seconds:.2f} s; degradation {report.chain}")
    base = "degraded" if report.baseline_label == "degraded" else "bicubic"
    for m in run.metrics:
        d, r, delta = report.baseline_metrics.get(m), run.metrics.get(m), run.deltas.get(m)
        print(f"  {m:<8} {base} {_fmt(d, 4):>9}  restored {_fmt(r, 4):>9}  Δ {_fmt(delta, 4):>8}")
    for n in report.notes + run.notes:
        print(f"  note: {n}")
    return 0


def _models(args) -> int:
    from imgcr import weights
    from imgcr.models.availability import catalogue

    rows = []
    for a in catalogue():
        m, w = a.spec, a.spec.weights
        rows.append({"id": m.id, "label": m.label, "task": m.task, "arch": m.arch, "scale": m.scale or None,
                     "colour": m.colour, "state": a.state, "available": a.here, "runs_here": a.runs_here,
                     "weights": str(a.path) if a.path else None, "url": w.url if w else None,
                     "sources": weights.sources(w) if w else [], "bytes": w.size or None if w else None,
                     "sha256": list(w.sha256) if w else [], "licence": m.licence, "source": m.source, "notes": m.notes})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']:<22}{r['task']:<16}{r['state']:<13}{r['label']}")
    return 0


def _eval(args) -> int:
    from imgcr.evaluate import EvalProtocol, evaluate

    if not args.degrade and not args.lr_dir:
        raise UnknownNameError("give --degrade (e.g. noise:25) or --lr-dir")
    protocol = EvalProtocol.of(args.degrade, args.seed, args.sigma, args.scale, args.ensemble,
                               metric_ids=_split(args.metrics), y_channel=args.y_channel, shave=args.shave,
                               lr_dir=args.lr_dir, gray=args.gray, limit=args.limit)
    res = evaluate([args.dataset], args.model, protocol)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"{res['model']} on {args.dataset} ({res['images']} images, {args.degrade or 'LR: ' + str(args.lr_dir)}):")
    for m in res["restored"]:
        print(f"  {m:<8} degraded {_fmt(res['degraded'][m], 4):>9}  restored {_fmt(res['restored'][m], 4):>9}")
    return 0


def _codecs(args) -> int:
    from imgcr.codecs import list_codecs

    rows = list_codecs()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    wid, wkind = max(len(r["id"]) for r in rows) + 2, max(len(r["kind"]) for r in rows) + 2
    for r in rows:
        state = "ok" if r["available"] else f"unavailable: {r['reason']}"
        print(f"{r['id']:<{wid}}{r['kind']:<{wkind}}{r['library']}  [{state}]")
    return 0


def _decode(args) -> int:
    """Decode FILE to exactly the pixels the app reported for it, written losslessly as PNG."""
    from PIL import Image

    from imgcr.codecs import get_codec
    from imgcr.codecs.sniff import codec_for_bytes

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise ImgcrError(f"{args.file}: cannot read ({exc.strerror or exc})") from None
    codec = get_codec(args.codec or codec_for_bytes(data))
    pixels = codec.decode(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(args.out, format="PNG")
    h, w = pixels.shape[:2]
    print(f"{args.file}: {codec.id}, {w}x{h}, {len(data)} bytes ({len(data) * 8 / (w * h):.3f} bpp) -> {args.out}")
    return 0


def _weight_specs():
    from imgcr.codecs.zoo import ZOO
    from imgcr.metrics.lpips_metric import ALEXNET_TRUNK
    from imgcr.models import MODELS

    published = [p.weight(q) for p in ZOO for q in range(1, len(p.prefixes) + 1)]
    return {s.id: s for s in (ALEXNET_TRUNK, *(m.weights for m in MODELS if m.weights is not None), *published)}


def _weights_download(args) -> int:
    from imgcr import weights

    specs = _weight_specs()
    if args.id not in specs:
        raise UnknownNameError(f"unknown weights {args.id!r} (known: {', '.join(specs)})")

    def show(done, total):
        pct = f"{100 * done / total:5.1f}%" if total else ""
        print(f"\r{args.id}: {done / 1e6:8.1f} MB {pct}", end="", file=sys.stderr)

    spec = specs[args.id]
    if args.url:
        path = weights.download(spec, url=args.url, progress=show, trust_unpinned=args.trust_unpinned)
    else:  # imgcr's Hub mirror first (pinned files), then the official source
        path = weights.fetch(spec, progress=show, trust_unpinned=args.trust_unpinned)
    print(file=sys.stderr)
    print(path)
    return 0


def _weights_list(args) -> int:
    from imgcr import weights

    for spec in _weight_specs().values():
        path = weights.find(spec)
        print(f"{spec.id:<14}{path if path else 'missing'}  ({spec.source}; {spec.licence})")
    return 0
