"""Start a run: the trainer a recipe's task needs (:class:`~imgcr.train.codec_loop.CodecTrainer` for codecs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imgcr.train.codec_loop import CodecTrainer
from imgcr.train.loop import Trainer
from imgcr.train.recipes import Recipe
from imgcr.train.settings import TrainConfig


def make_trainer(recipe: Recipe, data: Sequence[str], out: str | Path, **kwargs: Any) -> Trainer:
    """The trainer for ``recipe`` on ``data`` writing ``out``; ``kwargs`` are :class:`TrainConfig`'s fields."""
    config = TrainConfig.of(data, out, **kwargs)
    return (CodecTrainer if recipe.task == "codec" else Trainer)(recipe, config)


def train(recipe: Recipe, data: Sequence[str], out: str | Path, **kwargs: Any) -> dict[str, Any]:
    """Train ``recipe`` on ``data`` and write ``out``.pt / ``out``.json; returns the card."""
    return make_trainer(recipe, data, out, **kwargs).run()
