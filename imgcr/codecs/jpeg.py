"""JPEG through Pillow's libjpeg-turbo.

A gray image (R = G = B everywhere) is written as a one-channel JPEG, as cjpeg writes a gray input: the
same decoded pixels without two constant chroma planes (about 0.03 bpp, 10 % of the file at quality 10 on
BSD68)."""

from __future__ import annotations

from typing import Any

from PIL import features

from imgcr.codecs import pillow_io
from imgcr.codecs.base import Codec, Knob, Option

_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


class JpegCodec(Codec):
    id = "jpeg"
    label = "JPEG"
    extension = ".jpg"
    mime = "image/jpeg"
    library = "Pillow/libjpeg-turbo"
    options = (
        Option("quality", 75, "libjpeg quality (1-100)", minimum=1, maximum=100),
        Option("subsampling", "4:2:0", "chroma subsampling", choices=tuple(_SUBSAMPLING)),
        Option("progressive", False, "progressive scan order"),
        Option("optimize", True, "optimised Huffman tables"),
    )
    knob = Knob("quality", 1, 100)
    quality_doc = "quality 0-100 -> libjpeg quality (0 is clamped to 1)"

    def unavailable_reason(self) -> str | None:
        return None if features.check("jpg") else "Pillow was built without libjpeg"

    def library_version(self) -> str:
        turbo = features.version_feature("libjpeg_turbo")
        lib = f"libjpeg-turbo {turbo}" if turbo else f"libjpeg {features.version('jpg')}"
        return f"{pillow_io.pillow_version()} ({lib}; gray images as one-channel JPEG)"

    def knob_for_quality(self, quality: float) -> float:
        return max(1.0, quality)

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        from imgcr.images import is_gray

        return pillow_io.save(
            pixels,
            "JPEG",
            gray=is_gray(pixels),
            quality=int(settings["quality"]),
            subsampling=_SUBSAMPLING[settings["subsampling"]],
            progressive=bool(settings["progressive"]),
            optimize=bool(settings["optimize"]),
        )

    def _decode(self, data: bytes):
        return pillow_io.open_rgb(data)
