"""Model cards: the JSON written beside every weight file imgcr trains.

A card says what produced the weights (recipe, data digests, steps, wall time,
hardware, library versions), how validation went (the curve), and, once
``benchmarks/train_eval.py`` has run, how the model scores on the evaluation sets.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from imgcr.errors import ImgcrError

CARD_FORMAT = "imgcr-model-card/1"


def hardware(device: str, threads: int) -> dict[str, Any]:
    info: dict[str, Any] = {"device": device, "threads": threads, "cpus": os.cpu_count(), "cpu": _cpu_name(),
                            "machine": platform.machine()}
    if device.startswith("cuda"):
        import torch

        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write(path: Path, card: dict[str, Any]) -> None:
    """Write ``card`` atomically (a reader never sees half a card)."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(card, indent=1) + "\n")
    os.replace(tmp, path)


def read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ImgcrError(f"{path}: not a readable model card ({exc})") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise ImgcrError(f"{path}: not an imgcr model card (no format {CARD_FORMAT!r})")
    return card


def add_evaluation(path: str | Path, key: str, result: dict[str, Any]) -> None:
    """Record one evaluation (e.g. ``LIVE1 jpeg:10``) in the card at ``path``."""
    path = Path(path)
    card = read(path)
    card.setdefault("evaluation", {})[key] = result
    write(path, card)


def find_for(weights_path: str | Path) -> Path | None:
    """The card beside a weight file (``NAME.pt`` -> ``NAME.json``), or None."""
    path = Path(weights_path).with_suffix(".json")
    return path if path.is_file() else None


def summary_markdown(card: dict[str, Any]) -> str:
    """A short human summary of a card: what, how long, on what, how well."""
    hw = card.get("hardware", {})
    val = card.get("validation", {})
    lines = [f"**{card.get('id')}**: {card.get('description', '')}",
             f"- {card.get('arch')} {card.get('arch_kwargs')}, {card.get('parameters', 0) / 1e6:.2f} M parameters, "
             f"{(card.get('bytes') or 0) / 1e6:.1f} MB ({card.get('recipe', {}).get('export_dtype', '')})",
             f"- trained {card.get('steps')} steps in {card.get('wall_seconds', 0) / 60:.0f} min "
             f"({card.get('steps_per_second')} steps/s) on {hw.get('gpu') or hw.get('cpu', '?')}, "
             f"{hw.get('threads')} thread(s); torch {card.get('torch')}; best step {card.get('best_step')}"]
    before = card.get("init_card")
    if before:  # fine-tuned: the run it started from, so the total training is on the card
        lines.append(f"- fine-tuned from {card.get('init')}: {before.get('steps')} steps, "
                     f"{before.get('wall_seconds', 0) / 60:.0f} min before this run (sha256 {str(before.get('sha256'))[:12]}...)")
    data = card.get("data", {})
    lines.append("- data: " + ", ".join(f"{k} ({v['images']} images, sha256 {v['sha256'][:12]}...)"
                                         for k, v in data.get("train", {}).items()))
    if card.get("task") == "codec" and val.get("curve"):
        best = next((r for r in val["curve"] if r["step"] == card.get("best_step")), val["curve"][-1])
        points = ", ".join(f"{p['bpp']:.3f} bpp / {p['psnr']:.2f} dB" for p in best["by_value"].values())
        lines.append(f"- validation (held-aside crops, estimated bits, real rounding) at each rate point: {points}")
    elif val.get("best_psnr") is not None:
        lines.append(f"- validation (held-aside crops): {val['best_psnr']:.2f} dB; the JPEG input "
                     f"{val.get('baseline', {}).get('psnr', float('nan')):.2f} dB")
    if card.get("notes"):
        lines.append(f"- notes: {card['notes']}")
    evals = card.get("evaluation", {})
    if evals:
        lines.append("\n| evaluation | input PSNR | model PSNR | gain | model SSIM |\n|---|---|---|---|---|")
        for key, r in evals.items():
            lines.append(f"| {key} | {r['input_psnr']:.2f} | {r['psnr']:.2f} | {r['psnr'] - r['input_psnr']:+.2f} | "
                         f"{r['ssim']:.4f} |")
    return "\n".join(lines)
