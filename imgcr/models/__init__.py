"""Restoration models: catalogue (data), architectures spandrel lacks, loading, tiling, running.

Torch is imported only inside the functions that need it, so listing models is fast.
"""

from __future__ import annotations

from imgcr.errors import UnknownNameError
from imgcr.models.catalog import CATALOG, MODELS, ModelSpec


def get_model(model_id: str) -> ModelSpec:
    try:
        return CATALOG[model_id]
    except KeyError:
        raise UnknownNameError(f"unknown model {model_id!r} (known: {', '.join(CATALOG)})") from None


__all__ = ["CATALOG", "MODELS", "ModelSpec", "get_model"]
