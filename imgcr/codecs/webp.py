"""WebP through Pillow's libwebp, lossy or lossless."""

from __future__ import annotations

from typing import Any

from PIL import features

from imgcr.codecs import pillow_io
from imgcr.codecs.base import Codec, Knob, Option


class WebpCodec(Codec):
    id = "webp"
    label = "WebP"
    extension = ".webp"
    mime = "image/webp"
    library = "Pillow/libwebp"
    options = (
        Option("quality", 75, "libwebp quality 0-100 (lossy); effort when lossless", minimum=0, maximum=100),
        Option("method", 4, "speed/size trade-off 0 (fast) to 6 (small)", minimum=0, maximum=6),
        Option("lossless", False, "lossless mode"),
    )
    knob = Knob("quality", 0, 100)
    quality_doc = "quality 0-100 -> libwebp quality"

    def unavailable_reason(self) -> str | None:
        return None if features.check("webp") else "Pillow was built without libwebp"

    def library_version(self) -> str:
        return f"{pillow_io.pillow_version()} (libwebp {features.version('webp')})"

    def is_lossless(self, settings: dict[str, Any]) -> bool:
        return bool(settings["lossless"])

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        return pillow_io.save(
            pixels,
            "WEBP",
            quality=int(settings["quality"]),
            method=int(settings["method"]),
            lossless=bool(settings["lossless"]),
            exact=bool(settings["lossless"]),
        )

    def _decode(self, data: bytes):
        return pillow_io.open_rgb(data)
