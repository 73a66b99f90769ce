"""JPEG XR through imagecodecs (jxrlib)."""

from __future__ import annotations

from typing import Any

from imgcr.codecs import imagecodecs_io
from imgcr.codecs.base import Codec, Knob, Option


class JpegXrCodec(Codec):
    id = "jpegxr"
    label = "JPEG XR"
    extension = ".jxr"
    mime = "image/jxr"
    library = "imagecodecs/jxrlib"
    options = (Option("level", 0.75, "jxrlib quality 0-1 (1.0 is lossless)", minimum=0.0, maximum=1.0),)
    knob = Knob("level", 0.02, 0.99, integer=False)
    quality_doc = "quality 0-100 -> jxrlib level = quality / 100 (100 is lossless)"

    def unavailable_reason(self) -> str | None:
        return imagecodecs_io.unavailable("JPEGXR")

    def library_version(self) -> str:
        return imagecodecs_io.version("jxrlib")

    def knob_for_quality(self, quality: float) -> float:
        return quality / 100.0

    def is_lossless(self, settings: dict[str, Any]) -> bool:
        return settings["level"] >= 1.0

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        return imagecodecs_io.module().jpegxr_encode(pixels, level=float(settings["level"]))

    def _decode(self, data: bytes):
        return imagecodecs_io.module().jpegxr_decode(data)
