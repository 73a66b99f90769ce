"""Helpers for the codecs backed by imagecodecs."""

from __future__ import annotations

from imgcr.codecs.base import optional_import


def module():
    """The imagecodecs module, or the ImportError text when it is missing."""
    return optional_import("imagecodecs")


def unavailable(codec_name: str) -> str | None:
    """Why imagecodecs' ``codec_name`` (e.g. ``JPEGXL``) can't be used, or None."""
    ic = module()
    if isinstance(ic, str):
        return f"imagecodecs is not installed ({ic})"
    codec = getattr(ic, codec_name, None)
    if codec is None or not codec.available:
        return f"imagecodecs {ic.__version__} was built without {codec_name}"
    return None


def version(library: str) -> str:
    """``imagecodecs X (libjxl 0.11.2)`` for a library name as in ``imagecodecs.version()``."""
    ic = module()
    libs = dict(part.rsplit("-", 1) for part in ic.version().split(", ") if "-" in part)
    return f"imagecodecs {ic.__version__} ({library} {libs.get(library, '?')})"


def plane(pixels):
    """A gray image's (R = G = B everywhere) single plane, so it is coded as one channel; else the RGB array."""
    from imgcr.images import is_gray

    return pixels[..., 0].copy() if is_gray(pixels) else pixels
