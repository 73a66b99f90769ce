"""Compress, then restore: a classical codec whose decoder is followed by a restoration model.

``jpeg+dncnn3`` is JPEG's bitstream (the same bytes, the same size) decoded by
libjpeg-turbo and then restored by DnCNN-3. Because it keeps the base codec's knob,
it meets equal-size targets, sweeps and BD-rate exactly like the codecs alone, and its
decode time includes the model (seconds on CPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imgcr.codecs.base import Codec


class RestoredCodec(Codec):
    kind = "compress+restore"

    def __init__(self, base: Codec, model_id: str):
        from imgcr.models import get_model

        self.base = base
        self.spec = get_model(model_id)
        self.id = f"{base.id}+{model_id}"
        self.label = f"{base.label} + {self.spec.label.split(' (')[0]}"
        self.extension = base.extension
        self.mime = base.mime
        self.library = f"{base.library} + {self.spec.arch}"
        self.options = base.options
        self.knob = base.knob
        self.sweep = base.sweep
        self.quality_doc = f"{base.quality_doc}; then restored by {model_id}"

    def unavailable_reason(self) -> str | None:
        from imgcr import weights

        reason = self.base.unavailable_reason()
        if reason:
            return reason
        if self.spec.weights is not None and weights.find(self.spec.weights) is None:
            return weights.missing_message(self.spec.weights)
        return None

    def library_version(self) -> str:
        sha = self.spec.weights.sha256[0][:12] if self.spec.weights and self.spec.weights.sha256 else "unpinned"
        return f"{self.base.library_version()} + {self.spec.id} (weights sha256 {sha}...)"

    def knob_for_quality(self, quality: float) -> float:
        return self.base.knob_for_quality(quality)

    def is_lossless(self, settings: dict[str, Any]) -> bool:
        return self.base.is_lossless(settings)

    def searchable(self, settings: dict[str, Any]) -> bool:
        return self.base.searchable(settings)

    def effective(self, settings: dict[str, Any]) -> dict[str, Any]:
        return {**self.base.effective(settings), "restore": self.spec.id}

    def prepare(self) -> None:
        from imgcr.models.loader import POOL

        if self.spec.weights is not None:
            POOL.get(self.spec)

    def _encode(self, pixels: np.ndarray, settings: dict[str, Any]) -> bytes:
        return self.base._encode(pixels, settings)

    def _decode(self, data: bytes) -> np.ndarray:
        from imgcr.models.run import restore

        return restore(self.base.decode(data), self.spec).pixels
