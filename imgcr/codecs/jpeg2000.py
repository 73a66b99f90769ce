"""JPEG 2000 through imagecodecs' OpenJPEG: irreversible 9/7 by target PSNR, or lossless 5/3.

The multi-component (colour) transform is on: Pillow's default ``mct=0`` costs
about 6.7 dB at equal size. A gray image (R = G = B everywhere) is coded as one component.
"""

from __future__ import annotations

from typing import Any

from imgcr.codecs import imagecodecs_io
from imgcr.codecs.base import Codec, Knob, Option


class Jpeg2000Codec(Codec):
    id = "jpeg2000"
    label = "JPEG 2000"
    extension = ".j2k"
    mime = "image/jp2"
    library = "imagecodecs/OpenJPEG"
    options = (
        Option("psnr", 38.75, "target PSNR in dB for the irreversible 9/7 wavelet", minimum=10.0, maximum=80.0),
        Option("lossless", False, "reversible 5/3 wavelet, lossless"),
        Option("mct", True, "multi-component (RGB->YCC) transform"),
    )
    knob = Knob("psnr", 15.0, 60.0, integer=False)
    quality_doc = "quality 0-100 -> OpenJPEG target PSNR = 20 + 0.25 * quality dB (75 -> 38.75 dB)"
    sweep = (20, 30, 40, 50, 60, 70, 80, 90)  # 25-42.5 dB, the range the other codecs' sweeps span

    def unavailable_reason(self) -> str | None:
        return imagecodecs_io.unavailable("JPEG2K")

    def library_version(self) -> str:
        return imagecodecs_io.version("openjpeg") + "; gray images as one component"

    def knob_for_quality(self, quality: float) -> float:
        return 20.0 + 0.25 * quality

    def is_lossless(self, settings: dict[str, Any]) -> bool:
        return bool(settings["lossless"])

    def effective(self, settings: dict[str, Any]) -> dict[str, Any]:
        wavelet = "reversible 5/3" if settings["lossless"] else "irreversible 9/7"
        out = {**settings, "wavelet": wavelet, "codestream": "J2K"}
        if settings["lossless"]:
            out.pop("psnr")
        return out

    def _encode(self, pixels, settings: dict[str, Any]) -> bytes:
        ic = imagecodecs_io.module()
        pixels = imagecodecs_io.plane(pixels)
        mct = bool(settings["mct"]) and pixels.ndim == 3
        if settings["lossless"]:
            return ic.jpeg2k_encode(pixels, level=None, reversible=True, mct=mct, codecformat="J2K")
        return ic.jpeg2k_encode(
            pixels, level=float(settings["psnr"]), reversible=False, mct=mct, codecformat="J2K"
        )

    def _decode(self, data: bytes):
        return imagecodecs_io.module().jpeg2k_decode(data)
