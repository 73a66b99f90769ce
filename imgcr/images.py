"""Load anything a user drops into one image type: ``uint8 HxWx3 RGB ndarray``.

Every entry point (UI, CLI, benchmarks) goes through :func:`load_image`, so alpha,
16-bit, CMYK, palette, grayscale, animation, EXIF orientation and size limits are
handled once, and each conversion is reported to the user as a note.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from imgcr import config
from imgcr.errors import ImageLoadError, ImageTooLargeError, ImgcrError, first_line

# Pillow's own bomb guard raises only at twice its limit; we check the header size
# against our limit ourselves, and keep Pillow's guard as a second net, set from the
# limit in force at each decode (it may change while the server runs).
_PILLOW_DEFAULT_LIMIT = Image.MAX_IMAGE_PIXELS or 0

_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"%PDF", "a PDF document"),
    (b"<svg", "an SVG (vector) file"),
    (b"<?xml", "an XML/SVG file"),
)


@dataclass(frozen=True)
class LoadedImage:
    """An image ready for the codecs.

    Attributes:
        pixels: ``uint8`` array of shape ``(H, W, 3)``, RGB, read-only.
        name: a display name (the file name when there is one).
        source_format: the container Pillow recognised (``PNG``, ``JPEG``...).
        source_mode: the Pillow mode before conversion (``RGBA``, ``I;16``...).
        notes: what was done to reach RGB (alpha, bit depth, orientation...).
    """

    pixels: np.ndarray
    name: str
    source_format: str | None
    source_mode: str
    notes: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @cached_property
    def digest(self) -> str:
        """Content hash of the pixels, computed once per loaded image."""
        return pixels_digest(self.pixels)


def is_gray(x: np.ndarray) -> bool:
    """Whether an RGB array is gray: R = G = B everywhere (codecs then code one channel)."""
    return bool(np.array_equal(x[..., 0], x[..., 1]) and np.array_equal(x[..., 1], x[..., 2]))


def pixels_digest(pixels: np.ndarray) -> str:
    """Content hash of an image array (shape and bytes)."""
    h = hashlib.sha256(repr(pixels.shape).encode())
    h.update(np.ascontiguousarray(pixels).tobytes())
    return h.hexdigest()


def load_image(source: str | Path | bytes, name: str | None = None) -> LoadedImage:
    """Read a file path or raw bytes into a :class:`LoadedImage`.

    Raises:
        ImageLoadError: empty, corrupt, truncated or non-image input.
        ImageTooLargeError: more pixels than ``IMGCR_MAX_PIXELS`` or a file over ``IMGCR_MAX_BYTES``.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImageLoadError(f"cannot read {path}: {exc.strerror or exc}") from None
        if size > config.max_bytes():
            raise ImageTooLargeError(f"{name}: file of {size:,} bytes is over the {config.max_bytes():,}-byte limit")
        data = path.read_bytes()
    else:
        data = bytes(source)
        name = name or "image"
    return _decode(data, name)


def from_array(pixels: np.ndarray, name: str = "array") -> LoadedImage:
    """Wrap an existing array (H x W, H x W x 3 or x 4; uint8) as a LoadedImage."""
    im = Image.fromarray(np.asarray(pixels))
    return _to_rgb(im, name, None)


def _decode(data: bytes, name: str) -> LoadedImage:
    if not data:
        raise ImageLoadError(f"{name}: the file is empty")
    if len(data) > config.max_bytes():
        raise ImageTooLargeError(f"{name}: file of {len(data):,} bytes is over the {config.max_bytes():,}-byte limit")
    Image.MAX_IMAGE_PIXELS = max(config.max_pixels(), _PILLOW_DEFAULT_LIMIT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLargeError(f"{name}: refused as a decompression bomb (too many pixels)") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{name}: {_what_is_it(data)}") from None
    except Exception as exc:  # Pillow's parsers raise many types on hostile bytes (TypeError, KeyError...)
        raise ImageLoadError(f"{name}: corrupt image ({first_line(exc)})") from None
    width, height = im.size
    if width * height > config.max_pixels():
        raise ImageTooLargeError(
            f"{name}: {width}x{height} is {width * height / 1e6:.1f} MP, over the "
            f"{config.max_pixels() / 1e6:.1f} MP limit (IMGCR_MAX_PIXELS)"
        )
    if width < 1 or height < 1:
        raise ImageLoadError(f"{name}: image has no pixels")
    loaded = _to_rgb(im, name, im.format)
    try:
        bits = _source_bits(im, data)
    except Exception:  # a corrupt TIFF tag: the pixels decoded, so only the note is lost
        bits = 8
    if bits > 8 and not any("16-bit" in n for n in loaded.notes):
        notes = loaded.notes + ("16-bit image reduced to 8 bits per channel",)
        loaded = LoadedImage(loaded.pixels, loaded.name, loaded.source_format, loaded.source_mode, notes)
    return loaded


def _source_bits(im: Image.Image, data: bytes) -> int:
    """Bits per sample in the file (Pillow reads 16-bit RGB as 8-bit "RGB" without saying so)."""
    if im.format == "PNG" and len(data) > 24:
        return data[24]  # IHDR bit depth
    if im.format == "TIFF":
        bits = im.tag_v2.get(258, (8,))  # type: ignore[attr-defined]  # TiffImageFile
        return max(bits) if isinstance(bits, tuple) else int(bits)
    return 8


_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG", "PNG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def _what_is_it(data: bytes) -> str:
    for magic, fmt in _IMAGE_MAGIC:
        if data.startswith(magic):
            return f"looks like a {fmt} file but is corrupt or truncated"
    if data[8:12] == b"WEBP" or data[4:8] == b"ftyp":
        return "looks like a WebP/AVIF/HEIF file but is corrupt or unsupported"
    head = data[:256].lstrip()
    for sig, what in _SIGNATURES:
        if head.startswith(sig) or (sig == b"<svg" and b"<svg" in head):
            return f"this is {what}, not a raster image"
    try:
        head.decode("utf-8")
        return "this is a text file, not an image"
    except UnicodeDecodeError:
        return "not a recognised image format"


def _to_rgb(im: Image.Image, name: str, fmt: str | None) -> LoadedImage:
    notes: list[str] = []
    mode = im.mode
    try:
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            notes.append(f"animated ({frames} frames): the first frame is used")
        orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
        im.load()
        if orientation not in (None, 1):
            im = ImageOps.exif_transpose(im)
            notes.append(f"EXIF orientation {orientation} applied")
        rgb = _convert(im, notes)
    except MemoryError:
        raise
    except Exception as exc:  # any decoder failure on hostile bytes is a corrupt file, said in one line
        raise ImageLoadError(f"{name}: corrupt or truncated image ({first_line(exc)})") from None
    rgb.setflags(write=False)
    return LoadedImage(rgb, name, fmt, mode, tuple(notes))


def _convert(im: Image.Image, notes: list[str]) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        if mode != "F" and arr.max(initial=0) > 255:
            arr = arr / 257.0
            notes.append("16-bit image reduced to 8 bits per channel")
        gray = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
        notes.append("grayscale expanded to three identical RGB channels")
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "CMYK":
        notes.append("CMYK converted to RGB (no colour management)")
        return np.asarray(im.convert("RGB"))
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode in ("P", "L", "RGB") and "transparency" in im.info)
    if has_alpha:
        rgba = im.convert("RGBA")
        alpha = np.asarray(rgba)[:, :, 3]
        if alpha.min() < 255:
            notes.append("alpha composited onto white: codecs compare the RGB only")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
        notes.append("fully opaque alpha channel dropped")
        return np.asarray(rgba.convert("RGB"))
    if mode in ("L", "1"):
        notes.append("grayscale expanded to three identical RGB channels")
    elif mode == "P":
        notes.append("palette image expanded to RGB")
    elif mode not in ("RGB",):
        notes.append(f"{mode} converted to RGB")
    return np.array(im.convert("RGB"))


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".tga"}


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, folders as their image files (sorted, not recursive)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise ImgcrError(f"{p}: no such file or folder")
    if not out:
        raise ImgcrError("no images found in " + ", ".join(map(str, paths)))
    return out
