"""AVIF through pillow-avif-plugin (libavif), one codec entry per AV1 encoder.

Importing ``pillow_avif`` replaces Pillow's own AVIF plugin with the plugin's,
which adds the SVT-AV1 and rav1e encoders beside aom; decoding uses dav1d. A gray image (R = G = B
everywhere) is coded as monochrome AV1 (4:0:0) by aom and rav1e; SVT-AV1 codes 4:2:0 only.
"""

from __future__ import annotations

import os
from typing import Any

from imgcr.codecs import pillow_io
from imgcr.codecs.base import Codec, Knob, Option, optional_import

# SVT-AV1 prints its configuration banner to stderr unless told otherwise (1 = errors only).
os.environ.setdefault("SVT_LOG", "1")


def _plugin():
    """The plugin module, or the ImportError text when it is missing."""
    return optional_import("pillow_avif.AvifImagePlugin")


class AvifCodec(Codec):
    id = "avif"
    label = "AVIF (aom)"
    extension = ".avif"
    mime = "image/avif"
    library = "pillow-avif-plugin/libavif"
    encoder = "aom"
    monochrome = True  # the encoder codes 4:0:0, so a gray image is written without chroma planes
    options = (
        Option("quality", 75, "libavif quality 0-100 (100 is still lossy)", minimum=0, maximum=100),
        Option("speed", 6, "encoder speed 0 (slow, small) to 10 (fast)", minimum=0, maximum=10),
        Option("subsampling", "4:2:0", "chroma subsampling", choices=("4:2:0", "4:2:2", "4:4:4")),
    )
    knob = Knob("quality", 0, 100)
    quality_doc = "quality 0-100 -> libavif quality"

    def unavailable_reason(self) -> str | None:
        plugin = _plugin()
        if isinstance(plugin, str):
            return f"pillow-avif-plugin is not installed ({plugin})"
        if not plugin._avif.encoder_codec_available(self.encoder):
            return f"libavif here was built without the {self.encoder} encoder"
        return None

    def library_version(self) -> str:
        import pillow_avif

        plugin = _plugin()
        codecs = plugin._avif.codec_versions()
        parts = [p.strip() for p in codecs.split(",") if p.strip().startswith((self.encoder, "dav1d"))]
        gray = "; gray images as monochrome" if self.monochrome else ""
        return (f"pillow-avif-plugin {pillow_avif.__version__} (libavif {plugin._avif.libavif_version}; "
                f"{', '.join(parts)}){gray}")

    def effective(self, settings: dict[str, Any]) -> dict[str, Any]:
        return {**settings, "encoder": self.encoder, "threads": _plugin().DEFAULT_MAX_THREADS or "auto", "range": "full"}

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        from imgcr.images import is_gray

        _plugin()
        gray = self.monochrome and is_gray(pixels)
        return pillow_io.save(
            pixels,
            "AVIF",
            gray=gray,
            quality=int(settings["quality"]),
            speed=int(settings["speed"]),
            subsampling="4:0:0" if gray else settings["subsampling"],
            codec=self.encoder,
        )

    def _decode(self, data: bytes):
        _plugin()
        return pillow_io.open_rgb(data)


class AvifSvtCodec(AvifCodec):
    id = "avif-svt"
    label = "AVIF (SVT-AV1)"
    encoder = "svt"
    monochrome = False  # "Encoding of color planes failed" on a one-channel image


class AvifRav1eCodec(AvifCodec):
    id = "avif-rav1e"
    label = "AVIF (rav1e)"
    encoder = "rav1e"
