"""The codec contract: one small class per format.

Image type at this boundary: ``uint8 HxWx3 RGB ndarray`` in, bytes out; bytes in,
the same array type out. Every codec declares its options (a whitelist: an
unknown or misspelt option is an error, never silently ignored), the knob that
target searches turn, how the one 0-100 ``quality`` scale maps onto that knob,
and whether it is available here (and if not, why).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Protocol

import numpy as np

from imgcr.errors import CodecError, CodecUnavailableError, UnknownNameError, first_line


@dataclass(frozen=True)
class Option:
    """One encoder option: its type, default and allowed values."""

    name: str
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any) -> Any:
        """Coerce ``value`` (possibly a CLI string) to this option's type and check it."""
        kind = type(self.default) if self.default is not None else float
        try:
            if kind is bool:
                if isinstance(value, str):
                    if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(value)
                    value = value.lower() in ("1", "true", "yes", "on")
                value = bool(value)
            elif kind is int:
                as_float = float(value)
                if as_float != int(as_float):
                    raise ValueError(value)
                value = int(as_float)
            elif kind is float:
                value = float(value)
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise CodecError(f"option {self.name}: {value!r} is not a valid {kind.__name__}") from None
        if self.choices is not None and value not in self.choices:
            raise CodecError(f"option {self.name}: {value!r} is not one of {', '.join(map(str, self.choices))}")
        if self.minimum is not None and value < self.minimum:
            raise CodecError(f"option {self.name}: {value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise CodecError(f"option {self.name}: {value} is above the maximum {self.maximum}")
        return value


@dataclass(frozen=True)
class Knob:
    """The option a target search turns; larger values give larger, better files."""

    option: str
    low: float
    high: float
    integer: bool = True


class Estimator(Protocol):
    """A cheap stand-in for encoding one image at many settings (a learned codec's latent search): what a file
    coded with ``settings`` would weigh, and what it would decode to, without coding it."""

    def size(self, settings: dict[str, Any]) -> float:
        ...

    def decoded(self, settings: dict[str, Any]) -> np.ndarray:
        ...

    def encode(self, settings: dict[str, Any]) -> tuple[bytes, float]:
        """The file ``codec.encode(pixels, settings)`` writes (the same bytes) and its encode time in ms: what
        the estimate shares with the encoder (a latent) is not computed again, its time counted in."""
        ...


class Codec:
    """Base class. Subclasses set the class attributes and implement the hooks."""

    id: str
    label: str
    extension: str
    mime: str = "application/octet-stream"
    kind: ClassVar[str] = "classical"
    library: str
    options: tuple[Option, ...] = ()
    knob: Knob | None = None
    quality_doc: str = "lossless: quality is ignored"
    sweep: tuple[float, ...] = (10, 20, 30, 40, 50, 60, 75, 90)

    # ---- availability -------------------------------------------------
    def unavailable_reason(self) -> str | None:
        """``None`` when usable here, else a one-line reason."""
        return None

    @property
    def available(self) -> bool:
        return self.unavailable_reason() is None

    def library_version(self) -> str:
        """Library name and versions, e.g. ``Pillow 12.3.0 (libjpeg-turbo 3.1)``."""
        raise NotImplementedError

    # ---- settings -----------------------------------------------------
    def knob_for_quality(self, quality: float) -> float:
        """Map the common 0-100 quality scale onto this codec's knob."""
        return float(quality)

    def resolve(self, quality: float | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Full settings: defaults, then the quality mapped to the knob, then explicit options."""
        known = {o.name: o for o in self.options}
        settings = {o.name: o.default for o in self.options}
        if quality is not None and self.knob is not None:
            if not 0 <= float(quality) <= 100:
                raise CodecError(f"quality {quality} is outside 0-100")
            value = self.knob_for_quality(float(quality))
            settings[self.knob.option] = round(value) if self.knob.integer else round(value, 4)
        for name, value in (overrides or {}).items():
            if name not in known:
                names = ", ".join(known) or "none"
                raise UnknownNameError(f"{self.id} has no option {name!r} (options: {names})")
            settings[name] = known[name].parse(value)
        return settings

    def is_lossless(self, settings: dict[str, Any]) -> bool:
        return self.knob is None

    def searchable(self, settings: dict[str, Any]) -> bool:
        """Whether a target search can turn the knob under these settings."""
        return self.knob is not None and not self.is_lossless(settings)

    def effective(self, settings: dict[str, Any]) -> dict[str, Any]:
        """What the encoder really runs with (settings plus fixed choices made here)."""
        return dict(settings)

    def estimator(self, pixels: np.ndarray, settings: dict[str, Any]) -> Estimator | None:
        """A target search's stand-in for encoding at each probe (``None``: the search encodes every probe)."""
        return None

    # ---- work ---------------------------------------------------------
    def prepare(self) -> None:
        """Load anything slow (models) before timed work; a no-op for plain codecs."""

    def encode(self, pixels: np.ndarray, settings: dict[str, Any]) -> bytes:
        reason = self.unavailable_reason()
        if reason:
            raise CodecUnavailableError(f"{self.id}: {reason}")
        _check_pixels(pixels)
        try:
            return self._encode(np.ascontiguousarray(pixels), settings)
        except (ValueError, OSError, RuntimeError) as exc:
            raise CodecError(f"{self.id} encode failed: {first_line(exc)}") from None
        except Exception as exc:  # imagecodecs raises its own *Error classes
            if type(exc).__module__.startswith("imagecodecs"):
                raise CodecError(f"{self.id} encode failed: {first_line(exc)}") from None
            raise

    def decode(self, data: bytes) -> np.ndarray:
        try:
            out = self._decode(data)
        except (ValueError, OSError, RuntimeError) as exc:
            raise CodecError(f"{self.id} decode failed: {first_line(exc)}") from None
        except Exception as exc:
            if type(exc).__module__.startswith("imagecodecs"):
                raise CodecError(f"{self.id} decode failed: {first_line(exc)}") from None
            raise
        out = np.asarray(out)
        if out.ndim == 2:
            out = np.repeat(out[:, :, None], 3, axis=2)
        if out.dtype != np.uint8 or out.ndim != 3 or out.shape[2] < 3:
            raise CodecError(f"{self.id} decode returned {out.dtype} {out.shape}, expected uint8 RGB")
        return np.ascontiguousarray(out[:, :, :3])

    def _encode(self, pixels: np.ndarray, settings: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def _decode(self, data: bytes) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description for ``imgcr codecs``."""
        reason = self.unavailable_reason()
        try:
            library = self.library_version() if reason is None else self.library
        except Exception:  # a broken install must not break the listing
            library = self.library
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "available": reason is None,
            "reason": reason,
            "library": library,
            "extension": self.extension,
            "quality": self.quality_doc,
            "sweep": list(self.sweep) if self.knob is not None else None,
            "options": {o.name: {"default": o.default, "help": o.help, "choices": o.choices} for o in self.options},
        }


@cache
def optional_import(name: str) -> Any:
    """The module ``name``, or the ImportError's text when it is missing (codecs then say why they are unavailable)."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        return str(exc)


def _check_pixels(pixels: np.ndarray) -> None:
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise CodecError(f"expected uint8 HxWx3 RGB, got {pixels.dtype} {pixels.shape}")
