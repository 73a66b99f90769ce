"""Two or more codec training runs compared at equal training budget, from their validation logs.

Every codec run validates every ``val_every`` steps on the same held-aside crops (the same data folders
give the same split), reporting each rate point's bpp and PSNR. At each step the runs share, this prints
and writes the BD-rate (PSNR) of each run's validation RD curve against the first run's, the mean PSNR
and bpp over the rate points, and the wall time each run took to get there; ``--html`` draws the BD-rate
against step and the RD curves at the last shared step.

Usage: python benchmarks/equal_budget.py hyperprior=runs/codec/budget-hyperprior \\
           multires=runs/codec/ae-multires [--out docs/learned.md] [--html docs/learned_budget.html]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.docs_block import write_block  # noqa: E402
from imgcr.bench.bdrate import bd  # noqa: E402


def validation_curves(run_dir: Path) -> dict[int, dict]:
    """step -> {"seconds", "bpp": [...], "psnr": [...]} from a run's log (a resumed run's later entry wins)."""
    out: dict[int, dict] = {}
    for line in (run_dir / "log.jsonl").read_text().splitlines():
        entry = json.loads(line).get("val") if line.strip() else None
        if not entry or "by_value" not in entry:
            continue
        points = [entry["by_value"][k] for k in sorted(entry["by_value"], key=float)]
        out[int(entry["step"])] = {"seconds": float(entry["seconds"]), "bpp": [p["bpp"] for p in points],
                                   "psnr": [p["psnr"] for p in points]}
    return out


def compare(runs: dict[str, dict[int, dict]]) -> list[dict]:
    """One row per shared step: each run's mean bpp/PSNR, wall time, and BD-rate against the first run."""
    names = list(runs)
    anchor = names[0]
    shared = sorted(set.intersection(*(set(c) for c in runs.values())))
    rows = []
    for step in shared:
        a = runs[anchor][step]
        row: dict = {"step": step}
        for name in names:
            c = runs[name][step]
            row[name] = {"seconds": c["seconds"], "bpp": sum(c["bpp"]) / len(c["bpp"]),
                         "psnr": sum(c["psnr"]) / len(c["psnr"])}
            if name != anchor:
                r = bd(a["bpp"], a["psnr"], c["bpp"], c["psnr"], min_points=3)
                row[name]["bd_rate"], row[name]["bd_psnr"], row[name]["reason"] = r.bd_rate, r.bd_metric, r.reason
        rows.append(row)
    return rows


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f} %"


def table(rows: list[dict], names: list[str]) -> str:
    head = "| step | " + " | ".join(f"{n}: bpp / PSNR / min" for n in names) + " | " + " | ".join(
        f"{n} vs {names[0]}: BD-rate / BD-PSNR" for n in names[1:]) + " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(names) - 1)]
    for row in rows:
        cells = [f"{row[n]['bpp']:.3f} / {row[n]['psnr']:.2f} / {row[n]['seconds'] / 60:.0f}" for n in names]
        cells += [f"{_pct(row[n]['bd_rate'])} / " + ("n/a" if row[n]["bd_psnr"] is None else f"{row[n]['bd_psnr']:+.2f} dB")
                  for n in names[1:]]
        lines.append(f"| {row['step']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(rows: list[dict], runs: dict[str, dict[int, dict]], path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(runs)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"BD-rate against {names[0]} (validation, PSNR)",
                                                        f"Validation RD at step {rows[-1]['step']}"))
    for n in names[1:]:
        fig.add_trace(go.Scatter(x=[r["step"] for r in rows], y=[r[n]["bd_rate"] for r in rows], name=n,
                                 mode="lines+markers"), row=1, col=1)
    last = rows[-1]["step"]
    for n in names:
        c = runs[n][last]
        fig.add_trace(go.Scatter(x=c["bpp"], y=c["psnr"], name=f"{n} @ {last}", mode="lines+markers"), row=1, col=2)
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_yaxes(title_text="BD-rate (%)", row=1, col=1)
    fig.update_xaxes(title_text="bpp (entropy-model estimate)", row=1, col=2)
    fig.update_yaxes(title_text="PSNR (dB)", row=1, col=2)
    fig.write_html(path, include_plotlyjs="cdn")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR", help="the first is the anchor")
    ap.add_argument("--out", type=Path, help="docs file to write the table into (block learned-budget)")
    ap.add_argument("--html", type=Path)
    args = ap.parse_args(argv)
    runs = {}
    for spec in args.runs:
        name, _, run_dir = spec.partition("=")
        runs[name] = validation_curves(Path(run_dir))
    rows = compare(runs)
    if not rows:
        print("the runs share no validation step", file=sys.stderr)
        return 1
    names = list(runs)
    text = table(rows, names)
    print(text)
    if args.out:
        info = (f"Validation (held-aside crops of the training folders, six rate points; bpp is the entropy model's "
                f"estimate) of each run at the steps they share; minutes are each run's wall time to that step. "
                f"BD-rate below zero: fewer bits than {names[0]} for the same PSNR (n/a where the curves share no "
                f"PSNR range); BD-PSNR above zero: higher PSNR at the same rate. "
                f"Regenerate: `python benchmarks/equal_budget.py {' '.join(args.runs)}`.")
        write_block(args.out, "learned-budget", info, text)
    if args.html:
        chart(rows, runs, args.html)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
