"""``python -m imgcr train`` and ``train-report``: the training commands, registered by :mod:`imgcr.cli`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    t = sub.add_parser("train", help="train one of imgcr's networks from a recipe",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t.add_argument("recipe", nargs="?", help="recipe name (see --list)")
    t.add_argument("--list", action="store_true", help="list the recipes and exit")
    t.add_argument("--data", nargs="+", metavar="DIR", help="training image folders ('skimage': scikit-image's CC0 photos)")
    t.add_argument("--out", help="output name: writes OUT.pt (best weights) and OUT.json (model card)")
    t.add_argument("--run-dir", help="checkpoints and log (default: runs/NAME)")
    t.add_argument("--val", nargs="+", metavar="DIR", help="validation folders (default: every 20th training image, held aside)")
    t.add_argument("--steps", type=int, help="override the recipe's step count (with --resume: end the run there instead)")
    t.add_argument("--minutes", type=float, help="a time budget instead of a step count")
    t.add_argument("--batch", type=int)
    t.add_argument("--patch", type=int, help="patch side for the whole run (replaces the recipe's patch schedule)")
    t.add_argument("--lr", type=float)
    t.add_argument("--loss", choices=("l1", "mse", "charbonnier"),
                   help="override a restoration recipe's loss (e.g. mse to fine-tune for PSNR)")
    t.add_argument("--quality", metavar="LO-HI", help="the degradation's range, e.g. 20-50 (JPEG quality)")
    t.add_argument("--val-every", type=int)
    t.add_argument("--val-quality", metavar="Q[,Q...]",
                   help="degradation values validation scores (and picks the best checkpoint) at, e.g. 30,40")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    t.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    t.add_argument("--workers", type=int, help="data loader processes (default 1)")
    t.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt")
    t.add_argument("--init", metavar="WEIGHTS", help="start from these weights (e.g. weights/NAME.pt) instead of random ones")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_train)

    rp = sub.add_parser("train-report", help="draw a model card's loss and validation curves as one HTML page")
    rp.add_argument("cards", nargs="+", type=Path, help="model card(s) (weights/NAME.json)")
    rp.add_argument("--out", type=Path, required=True)
    rp.set_defaults(func=_report)


def _train(args) -> int:
    from imgcr.errors import ImgcrError
    from imgcr.train.recipes import RECIPES, get_recipe

    if args.list:
        width = max(len(r.arch) for r in RECIPES.values()) + 2
        for r in RECIPES.values():
            budget = f"{r.minutes:g} min" if r.minutes else f"{r.steps} steps"
            what = f"codec, {r.loss} loss" if r.task == "codec" else f"{r.degradation} {r.quality[0]:g}-{r.quality[1]:g}"
            print(f"{r.name:<24}{r.arch:<{width}}{r.colour:<5}{what:<16}{budget:<12}{r.description}")
        return 0
    if not args.recipe or not args.data or not args.out:
        raise ImgcrError("train needs RECIPE, --data DIR... and --out NAME (or --list)")
    recipe = get_recipe(args.recipe)
    if args.steps is not None and args.minutes is None:
        recipe = recipe.with_overrides(minutes=0.0)
    recipe = recipe.with_overrides(steps=args.steps, minutes=args.minutes, batch=args.batch, patch=args.patch,
                                   lr=args.lr, val_every=args.val_every, quality=_range(args.quality))
    if args.val_quality is not None:
        if recipe.degradation == "none":
            raise ImgcrError(f"{recipe.name} has no degradation; --val-quality is for restoration recipes")
        recipe = recipe.with_overrides(val_qualities=_values(args.val_quality))
    if args.loss is not None:
        if recipe.task == "codec":
            raise ImgcrError(f"{recipe.name} is a codec: its loss is {recipe.loss}; --loss is for restoration recipes")
        recipe = recipe.with_overrides(loss=args.loss)
    if args.patch is not None:  # an explicit side replaces the recipe's small-patches-first schedule
        recipe = recipe.with_overrides(patch_schedule=())
    from imgcr.train.start import make_trainer

    trainer = make_trainer(recipe, args.data, args.out, run_dir=args.run_dir, val=args.val, seed=args.seed,
                      device=args.device, threads=args.threads, workers=args.workers, resume=args.resume,
                      progress=not args.quiet, total_steps=args.steps if args.resume else None, init=args.init)
    _stop_saves_a_checkpoint()
    try:
        card = trainer.run()
    except KeyboardInterrupt:
        print(f"imgcr: interrupted at step {trainer.state.step}; checkpoint saved, continue with --resume",
              file=sys.stderr)
        return 130
    val = card["validation"]
    if val.get("best_objective") is not None:  # a codec: its mean validation loss
        score = f"validation loss {-val['best_objective']:.4f} (lower is better)"
    else:
        score = f"validation PSNR {val['best_psnr']:.2f} dB (input {val['baseline']['psnr']:.2f})"
    print(f"{card['id']}: {card['steps']} steps in {card['wall_seconds']:.0f} s ({card['steps_per_second']} steps/s); "
          f"{score} at step {card['best_step']}; "
          f"wrote {trainer.out.with_suffix('.pt')} and {trainer.out.with_suffix('.json')}")
    return 0


def _range(text: str | None) -> tuple[float, float] | None:
    from imgcr.errors import ImgcrError

    if text is None:
        return None
    lo, sep, hi = text.partition("-")
    try:
        out = (float(lo), float(hi if sep else lo))
    except ValueError:
        raise ImgcrError(f"--quality {text!r}: expected LO-HI, e.g. 20-50") from None
    if out[0] > out[1]:
        raise ImgcrError(f"--quality {text!r}: LO is above HI")
    return out


def _values(text: str) -> tuple[float, ...]:
    from imgcr.errors import ImgcrError

    try:
        out = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ImgcrError(f"--val-quality {text!r}: expected numbers separated by commas, e.g. 30,40") from None
    return out


def _stop_saves_a_checkpoint() -> None:
    """SIGTERM (``kill``) stops a run as Ctrl-C does, saving a checkpoint; SIGINT works even when the run was
    started in the background (a non-interactive shell starts background jobs with SIGINT ignored)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _report(args) -> int:
    from imgcr.train import card as cards
    from imgcr.train.report import curves_figure

    fig = curves_figure([cards.read(p) for p in args.cards])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(args.out, include_plotlyjs=True, full_html=True)
    print(f"wrote {args.out}")
    return 0
