"""QOI, the "Quite OK Image" lossless format, through imagecodecs."""

from __future__ import annotations

from typing import Any

from imgcr.codecs import imagecodecs_io
from imgcr.codecs.base import Codec


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
