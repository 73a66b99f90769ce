"""Formats offered because a library gives them cheaply: HEIF, JPEG XR, QOI."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from imgcr.codecs import imagecodecs_io
from imgcr.codecs.base import Codec, Knob, Option, optional_import


def _heif():
    return optional_import("pillow_heif")


class HeifCodec(Codec):
    id = "heif"
    label = "HEIF (x265)"
    extension = ".heic"
    mime = "image/heic"
    library = "pillow-heif/libheif"
    options = (
        Option("quality", 75, "x265 quality 0-100", minimum=0, maximum=100),
        Option("chroma", "420", "chroma subsampling", choices=("420", "422", "444")),
    )
    knob = Knob("quality", 0, 100)
    quality_doc = "quality 0-100 -> libheif/x265 quality"

    def unavailable_reason(self) -> str | None:
        heif = _heif()
        if isinstance(heif, str):
            return f"pillow-heif is not installed ({heif})"
        if not heif.libheif_info().get("HEIF"):
            return "libheif here has no HEVC encoder"
        return None

    def library_version(self) -> str:
        heif = _heif()
        info = heif.libheif_info()
        return f"pillow-heif {heif.__version__} (libheif {info['libheif']}; {info['HEIF']})"

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        heif = _heif()
        buf = io.BytesIO()
        heif.from_pillow(_pil(pixels)).save(buf, quality=int(settings["quality"]), chroma=int(settings["chroma"]))
        return buf.getvalue()

    def _decode(self, data: bytes):
        return np.asarray(_heif().open_heif(data, convert_hdr_to_8bit=True).to_pillow().convert("RGB"))


def _pil(pixels):
    from PIL import Image

    return Image.fromarray(pixels, "RGB")


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


class QoiCodec(Codec):
    id = "qoi"
    label = "QOI"
    extension = ".qoi"
    library = "imagecodecs/qoi"

    def unavailable_reason(self) -> str | None:
        return imagecodecs_io.unavailable("QOI")

    def library_version(self) -> str:
        return imagecodecs_io.version("qoi")

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        return imagecodecs_io.module().qoi_encode(pixels)

    def _decode(self, data: bytes):
        return imagecodecs_io.module().qoi_decode(data)
