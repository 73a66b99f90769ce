"""HEIF (HEVC in an ISO-BMFF file) through pillow-heif / libheif's x265 encoder."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

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
