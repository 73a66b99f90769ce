"""JPEG XL through imagecodecs' libjxl, by quality or distance, or lossless; a gray image (R = G = B
everywhere) is coded as one channel."""

from __future__ import annotations

from typing import Any

from imgcr.codecs import imagecodecs_io
from imgcr.codecs.base import Codec, Knob, Option


class JpegXlCodec(Codec):
    id = "jpegxl"
    label = "JPEG XL"
    extension = ".jxl"
    mime = "image/jxl"
    library = "imagecodecs/libjxl"
    options = (
        Option("quality", 75, "libjxl quality 0-100 (mapped to a distance by libjxl)", minimum=0, maximum=100),
        Option("distance", 0.0, "Butteraugli distance (0 = use quality; 1.0 is visually lossless)", minimum=0.0, maximum=25.0),
        Option("effort", 7, "encoder effort 1 (fast) to 9 (slow)", minimum=1, maximum=10),
        Option("lossless", False, "lossless (modular) mode"),
    )
    knob = Knob("quality", 1, 100)
    quality_doc = "quality 0-100 -> libjxl quality (JxlEncoderDistanceFromQuality)"

    def unavailable_reason(self) -> str | None:
        return imagecodecs_io.unavailable("JPEGXL")

    def library_version(self) -> str:
        return imagecodecs_io.version("libjxl") + "; gray images as one channel"

    def is_lossless(self, settings: dict[str, Any]) -> bool:
        return bool(settings["lossless"])

    def searchable(self, settings: dict[str, Any]) -> bool:
        return not settings["lossless"] and not settings["distance"]

    def effective(self, settings: dict[str, Any]) -> dict[str, Any]:
        out = dict(settings)
        if settings["lossless"]:
            out.pop("quality")
            out.pop("distance")
        elif settings["distance"]:
            out.pop("quality")
        else:
            out.pop("distance")
        return out

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        ic = imagecodecs_io.module()
        effort = int(settings["effort"])
        pixels = imagecodecs_io.plane(pixels)
        if settings["lossless"]:
            return ic.jpegxl_encode(pixels, lossless=True, effort=effort)
        if settings["distance"]:
            return ic.jpegxl_encode(pixels, distance=float(settings["distance"]), lossless=False, effort=effort)
        return ic.jpegxl_encode(pixels, level=int(settings["quality"]), lossless=False, effort=effort)

    def _decode(self, data: bytes):
        return imagecodecs_io.module().jpegxl_decode(data)
