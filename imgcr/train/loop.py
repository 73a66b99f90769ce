"""The training loop every model imgcr trains goes through (``python -m imgcr train``).

One run = a recipe, data folders, an output name. It writes:

- ``RUN_DIR/last.pt``: the checkpoint ``--resume`` continues from (model, optimiser,
  step, curves), saved at every validation and on Ctrl-C;
- ``RUN_DIR/log.jsonl``: one JSON line per 50 steps (loss, lr, steps/s) and per validation;
- ``OUT.pt``: the best weights by validation PSNR, a plain state dict
  (``torch.load(weights_only=True)``), and ``OUT.json``: the model card.

Batches are a pure function of (seed, step) (:mod:`imgcr.train.data`), the model's
initial weights of the seed, so the same command gives the same first steps and a
resumed run sees the batches an uninterrupted one would have.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imgcr import __version__, metrics
from imgcr.devices import resolve_device
from imgcr.errors import ImgcrError, first_line
from imgcr.tensors import to_uint8
from imgcr.train import card as cards
from imgcr.train import data as tdata
from imgcr.train.networks import build
from imgcr.train.recipes import Recipe
from imgcr.train.settings import TrainConfig
from imgcr.weights import sha256_file

LOG_EVERY = 50


@dataclass(frozen=True)
class PatchSchedule:
    """index -> patch side, from the recipe's schedule (picklable for loader processes)."""

    recipe: Recipe
    batch: int
    total: int

    def __call__(self, index: int) -> int:
        return self.recipe.patch_at(index // self.batch, self.total)


@dataclass
class RunState:
    step: int = 0
    total: int = 0
    elapsed: float = 0.0
    best_score: float = -math.inf  # the trainer's score_name, higher is better
    best_step: int = 0
    loss_curve: list[dict[str, float]] = field(default_factory=list)
    val_curve: list[dict[str, Any]] = field(default_factory=list)
    length_changes: list[dict[str, int]] = field(default_factory=list)


def lr_at(recipe: Recipe, step: int, total: int) -> float:
    """Linear warm-up, then cosine from ``lr`` to ``lr_min``."""
    if step < recipe.warmup:
        return recipe.lr * (step + 1) / recipe.warmup
    t = (step - recipe.warmup) / max(1, total - recipe.warmup)
    return recipe.lr_min + 0.5 * (recipe.lr - recipe.lr_min) * (1 + math.cos(math.pi * min(1.0, t)))


def _loss(kind: str, out, target):
    import torch

    if kind == "l1":
        return torch.nn.functional.l1_loss(out, target)
    if kind == "mse":
        return torch.nn.functional.mse_loss(out, target)
    if kind == "charbonnier":
        return torch.sqrt((out - target) ** 2 + 1e-6).mean()
    raise ImgcrError(f"unknown loss {kind!r}")


class Trainer:
    """Holds the model, optimiser and state of one run; :meth:`run` trains to the end.

    Validation keeps the best weights by a named score, higher is better: ``psnr`` here, minus the mean
    rate-distortion loss (``objective``) for codecs (:class:`~imgcr.train.codec_loop.CodecTrainer`)."""

    score_name = "psnr"

    def __init__(self, recipe: Recipe, config: TrainConfig):
        import torch

        if config.threads:
            torch.set_num_threads(config.threads)
        self.recipe, self.config, self.data, self.seed = recipe, config, list(config.data), config.seed
        self.out, self.run_dir = config.out_stem, config.run_folder
        self.device = resolve_device(config.device)
        self.threads = torch.get_num_threads()
        self.workers, self.progress, self.log_every = config.workers, config.progress, LOG_EVERY
        self._load_data()
        torch.manual_seed(self.seed)
        self.model = build(recipe.arch, **recipe.arch_kwargs)
        self.init = str(config.init) if config.init else None
        self.resumed = config.resume  # the run's own --init stays on its card (a resume loads the checkpoint)
        if config.init and not config.resume:
            self._load_init(config.init)
        self.model = self.model.to(self.device).to(memory_format=torch.channels_last)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=recipe.lr)
        self._start_or_resume()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.baseline = self._score(identity=True)

    def _load_data(self) -> None:
        """Training images (in memory, at least the largest patch side) and the fixed validation pairs."""
        recipe, val = self.recipe, self.config.val
        sources = tdata.list_sources(self.data)
        train_src, val_src = (sources, tdata.list_sources(val)) if val else tdata.split(sources)
        side = max([recipe.patch, *(s for _, s in recipe.patch_schedule)])
        self.train_images = tdata.load_images(train_src, recipe.colour, side)
        self.val_names = [n for n, _ in val_src]
        self.data_digest = tdata.folder_digest(self.data)
        self.val_pairs = tdata.validation_pairs(tdata.load_images(val_src, recipe.colour, 32), recipe)

    def _start_or_resume(self) -> None:
        """A fresh state (its length from --minutes when given), or the checkpoint's for --resume."""
        self.state = RunState(total=self.recipe.steps)
        last = self.run_dir / "last.pt"
        if self.config.resume:
            if not last.is_file():
                raise ImgcrError(f"--resume: no checkpoint in {self.run_dir} (nothing to resume)")
            self._load_checkpoint(last)
            total = self.config.total_steps
            if total and total != self.state.total:
                self._change_length(total)
        elif last.is_file():
            raise ImgcrError(f"{self.run_dir} holds a run already: pass --resume to continue it, or use another --run-dir")
        elif self.recipe.minutes:
            self.state.total = self._steps_for_budget(self.recipe.minutes * 60)

    # --- checkpoints -------------------------------------------------------------------------
    def _checkpoint(self) -> dict[str, Any]:
        s = self.state
        return {"recipe": self.recipe.name, "arch": self.recipe.arch, "seed": self.seed,
                "model": self.model.state_dict(), "optimiser": self.optimiser.state_dict(),
                "state": {"step": s.step, "total": s.total, "elapsed": s.elapsed, "best_score": s.best_score,
                          "score": self.score_name, "best_step": s.best_step},
                "loss_curve": json.dumps(s.loss_curve), "val_curve": json.dumps(s.val_curve),
                "length_changes": json.dumps(s.length_changes)}

    def save_checkpoint(self) -> Path:
        return save_atomic(self._checkpoint(), self.run_dir / "last.pt")

    def _load_checkpoint(self, path: Path) -> None:
        import torch

        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ImgcrError(f"{path}: not a readable checkpoint ({exc})") from None
        if ckpt.get("recipe") != self.recipe.name or ckpt.get("arch") != self.recipe.arch:
            raise ImgcrError(f"{path} is a checkpoint of {ckpt.get('recipe')!r}, not {self.recipe.name!r}")
        self.model.load_state_dict(ckpt["model"])
        self.optimiser.load_state_dict(ckpt["optimiser"])
        st = ckpt["state"]
        best = st["best_score"] if "best_score" in st else st["best_psnr"]  # checkpoints before the score was named
        self.state = RunState(int(st["step"]), int(st["total"]), float(st["elapsed"]), float(best),
                              int(st["best_step"]), json.loads(ckpt["loss_curve"]), json.loads(ckpt["val_curve"]),
                              json.loads(ckpt.get("length_changes", "[]")))
        self.seed = int(ckpt["seed"])

    def _load_init(self, path: Path) -> None:
        """``--init NAME.pt``: start from trained weights (fine-tuning a shipped model) instead of random ones."""
        import torch

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            # a learned codec's exported weights carry integer coding tables: they are recomputed at export
            tables = {f"{n}_{p}" for n in getattr(self.model, "table_names", ()) for p in ("offsets", "lengths", "freqs")}
            state = {k: v.float() if v.is_floating_point() else v for k, v in state.items() if k not in tables}
            result = self.model.load_state_dict(state, strict=False)
            wrong = [f"missing {k}" for k in result.missing_keys if k not in tables] + \
                    [f"unexpected {k}" for k in result.unexpected_keys]
            if wrong:
                raise ValueError(", ".join(wrong[:3]))
        except Exception as exc:
            raise ImgcrError(f"--init {path}: not weights of this recipe's {self.recipe.arch} ({first_line(exc, 160)})") from None

    def _change_length(self, total: int) -> None:
        """``--resume --steps N``: the run ends at step N instead (the cosine schedule follows); recorded in the card.
        N may be the step an interrupted run stopped at: it then finishes there (best weights, a finished card)."""
        s = self.state
        if total < s.step:
            raise ImgcrError(f"--steps {total}: the run is already at step {s.step}")
        s.length_changes.append({"at_step": s.step, "from": s.total, "to": total})
        s.total = total

    # --- the time budget ---------------------------------------------------------------------
    def _steps_for_budget(self, seconds: float) -> int:
        """Steps that fit ``seconds`` at the speed of a few timed steps (the model is reset after)."""
        import copy

        import torch

        init = copy.deepcopy(self.model.state_dict())
        c = 1 if self.recipe.colour == "gray" else 3
        x = torch.rand(self.recipe.batch, c, self.recipe.patch, self.recipe.patch, device=self.device)
        x = x.contiguous(memory_format=torch.channels_last)
        times = []
        for _ in range(8):
            t0 = time.perf_counter()
            self._step(x, x, self.recipe.lr)
            times.append(time.perf_counter() - t0)
        self.model.load_state_dict(init)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=self.recipe.lr)
        per_step = float(np.median(times[2:]))
        return max(self.recipe.warmup + 1, int(seconds / per_step))

    # --- training ----------------------------------------------------------------------------
    def _step(self, x, y, lr: float) -> float:
        import torch

        for group in self.optimiser.param_groups:
            group["lr"] = lr
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.startswith("cuda")):
            loss = _loss(self.recipe.loss, self.model(x).float(), y)
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        self.optimiser.step()
        return float(loss.detach())

    def _loader(self):
        import torch
        from torch.utils.data import DataLoader

        r, s = self.recipe, self.state
        dataset = tdata.PatchDataset(self.train_images, r, self.seed, PatchSchedule(r, r.batch, s.total))
        return DataLoader(dataset, batch_size=r.batch, sampler=range(s.step * r.batch, s.total * r.batch),
                          num_workers=self.workers, persistent_workers=False, pin_memory=False,
                          generator=torch.Generator().manual_seed(self.seed))

    def run(self) -> dict[str, Any]:
        """Train to the last step (validating, checkpointing, writing the card); returns the card."""
        import torch
        from tqdm import tqdm

        r, s = self.recipe, self.state
        log = (self.run_dir / "log.jsonl").open("a")
        bar = tqdm(total=s.total, initial=s.step, desc=r.name, disable=not self.progress, dynamic_ncols=True)
        t_start = time.perf_counter() - s.elapsed
        window: list[float] = []
        t_window = time.perf_counter()
        try:
            self.model.train()
            for x, y in self._loader():
                x = x.to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
                y = y.to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
                lr = lr_at(r, s.step, s.total)
                loss = self._step(x, y, lr)
                if not math.isfinite(loss):
                    raise ImgcrError(f"training diverged at step {s.step} (loss {loss}); lower --lr")
                s.step += 1
                s.elapsed = time.perf_counter() - t_start
                window.append(loss)
                bar.update(1)
                if s.step % self.log_every == 0 or s.step == s.total:
                    rate = len(window) / max(1e-9, time.perf_counter() - t_window)
                    row = {"step": s.step, "seconds": round(s.elapsed, 2), "loss": float(np.mean(window)),
                           "lr": lr, "steps_per_s": round(rate, 3)}
                    s.loss_curve.append({k: row[k] for k in ("step", "seconds", "loss")})
                    log.write(json.dumps(row) + "\n")
                    log.flush()
                    bar.set_postfix(loss=f"{row['loss']:.4f}", steps_s=f"{rate:.2f}")
                    window, t_window = [], time.perf_counter()
                if s.step % r.val_every == 0 or s.step == s.total:
                    self._validate(log)
                if s.step >= s.total:
                    break
        except KeyboardInterrupt:
            self.save_checkpoint()
            self.write_card(finished=False)
            raise
        finally:
            bar.close()
            log.close()
        return self.write_card(finished=True)

    # --- validation ----------------------------------------------------------------------------
    def predict(self, degraded: np.ndarray) -> np.ndarray:
        """uint8 HxWx3 -> uint8 HxWx3 through the model (gray models on the first channel)."""
        import torch

        x = torch.from_numpy(tdata.to_tensor_layout(degraded, self.recipe.colour))[None].to(self.device)
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            y = self.model(x.contiguous(memory_format=torch.channels_last)).float().clamp(0, 1)
        self.model.train(was_training)
        out = to_uint8(y)
        return np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out

    def _score(self, identity: bool = False) -> dict[str, Any]:
        per_value: dict[str, list[tuple[float, float]]] = {}
        for _, value, degraded, clean in self.val_pairs:
            out = degraded if identity else self.predict(degraded)
            p = metrics.psnr(clean, out)
            s = metrics.compute("ssim", clean, out)
            per_value.setdefault(f"{value:g}", []).append((p if p is not None else 100.0, s if s is not None else 1.0))
        by_value = {v: {"psnr": float(np.mean([a for a, _ in xs])), "ssim": float(np.mean([b for _, b in xs]))}
                    for v, xs in per_value.items()}
        return {"by_value": by_value, "psnr": float(np.mean([v["psnr"] for v in by_value.values()])),
                "ssim": float(np.mean([v["ssim"] for v in by_value.values()]))}

    def _validate(self, log) -> None:
        s = self.state
        score = self._score()
        row = {"step": s.step, "seconds": round(s.elapsed, 2), **score}
        s.val_curve.append(row)
        log.write(json.dumps({"val": row}) + "\n")
        log.flush()
        if score[self.score_name] > s.best_score:
            s.best_score, s.best_step = score[self.score_name], s.step
            self.export()
        self.save_checkpoint()
        self.write_card(finished=s.step >= s.total)

    def export(self) -> Path:
        """Write the current weights as ``OUT.pt`` (the recipe's dtype), atomically."""
        import torch

        dtype = getattr(torch, self.recipe.export_dtype)
        state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in self.model.state_dict().items()}
        return save_atomic(state, self.out.with_suffix(".pt"))

    def write_card(self, finished: bool) -> dict[str, Any]:
        import torch

        s, r = self.state, self.recipe
        weights = self.out.with_suffix(".pt")
        n_params = sum(p.numel() for p in self.model.parameters())
        path = self.out.with_suffix(".json")
        old = cards.read(path) if path.is_file() else {}
        card = {
            "format": cards.CARD_FORMAT, "id": self.out.name, "description": r.description, "task": r.task,
            "finished": finished, "weights": weights.name,
            "sha256": sha256_file(weights) if weights.is_file() else None,
            "bytes": weights.stat().st_size if weights.is_file() else None,
            "arch": r.arch, "arch_kwargs": r.arch_kwargs, "parameters": n_params, "colour": r.colour,
            "recipe": r.to_json(), "seed": self.seed,
            "init": old.get("init", self.init) if self.resumed else self.init,
            "data": {"train": self.data_digest, "validation": self.val_names,
                     "train_images": len(self.train_images)},
            "steps": s.step, "total_steps": s.total, "length_changes": s.length_changes, "best_step": s.best_step,
            "wall_seconds": round(s.elapsed, 1),
            "steps_per_second": round(s.step / s.elapsed, 3) if s.elapsed else None,
            "hardware": cards.hardware(self.device, self.threads), "loader_workers": self.workers,
            "torch": torch.__version__, "imgcr": __version__,
            "validation": self._validation_summary(),
            "loss_curve": s.loss_curve,
            "evaluation": old.get("evaluation", {}),
        }
        cards.write(path, card)
        return card

    def _validation_summary(self) -> dict[str, Any]:
        """The card's validation block: the input's scores, the best score under its own name, the curve
        (``best_psnr`` is null for a codec, whose best is ``best_objective``)."""
        s = self.state
        best = s.best_score if s.val_curve else None
        out: dict[str, Any] = {"baseline": self.baseline, "best_psnr": best if self.score_name == "psnr" else None}
        if self.score_name != "psnr":
            out[f"best_{self.score_name}"] = best
        out["curve"] = s.val_curve
        return out


def save_atomic(obj: Any, path: Path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, then rename: a crash never leaves half a file."""
    import torch

    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)
    return path
