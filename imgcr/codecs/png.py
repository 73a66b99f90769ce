"""PNG through Pillow's zlib: lossless. A gray image (R = G = B everywhere) is written as a one-channel PNG."""

from __future__ import annotations

from typing import Any

from PIL import features

from imgcr.codecs import pillow_io
from imgcr.codecs.base import Codec, Option


class PngCodec(Codec):
    id = "png"
    label = "PNG"
    extension = ".png"
    mime = "image/png"
    library = "Pillow/zlib"
    options = (Option("compress_level", 6, "zlib level 0-9 (lossless at every level)", minimum=0, maximum=9),)

    def library_version(self) -> str:
        return f"{pillow_io.pillow_version()} (zlib {features.version('zlib')}; gray images as one-channel PNG)"

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        from imgcr.images import is_gray

        return pillow_io.save(pixels, "PNG", gray=is_gray(pixels), compress_level=int(settings["compress_level"]))

    def _decode(self, data: bytes):
        return pillow_io.open_rgb(data)
