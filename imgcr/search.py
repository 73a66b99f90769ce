"""Meet a target file size or quality by bisecting a codec's own knob.

Each codec declares one monotone knob (larger = bigger file, higher quality).
The search keeps every probe, stops early once within 0.5 % of the target, never
spends more than ``max_encodes`` encodes, and returns the probe closest to the
target with a report of how close it got (``met`` when within 3 %).

A codec that can tell what a file would weigh (and decode to) without coding it, a learned codec from its
latent (:meth:`imgcr.codecs.base.Codec.estimator`), is searched on those estimates and coded once, at the
setting chosen; should the file then disagree with its estimate, the search starts again encoding every probe.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from imgcr.codecs import Codec
from imgcr.codecs.base import Estimator
from imgcr.errors import CodecError

MET_TOLERANCE = 0.03
STOP_TOLERANCE = 0.005
TARGET_KINDS = ("size", "bpp", "psnr", "ssim", "ssimulacra2", "butteraugli")
QUALITY_KINDS = ("psnr", "ssim", "ssimulacra2", "butteraugli")  # targets met by decoding and measuring
LOWER_IS_BETTER = ("butteraugli",)  # the metric falls as the knob rises: the search turns the other way
# a target met within this many points, not a percentage (SSIMULACRA2's scale reaches 0 and below)
ABSOLUTE_TOLERANCE = {"ssimulacra2": (0.25, 1.0)}  # (stop, met)


@dataclass(frozen=True)
class Target:
    """What to match: ``size`` (bytes), ``bpp``, ``psnr`` (dB), ``ssim``, ``ssimulacra2`` (score) or
    ``butteraugli`` (max-norm distance)."""

    kind: str
    value: float

    def __post_init__(self):
        if self.kind not in TARGET_KINDS:
            raise CodecError(f"unknown target {self.kind!r} (one of {', '.join(TARGET_KINDS)})")
        if self.kind == "ssimulacra2":
            if not self.value < 100:
                raise CodecError(f"target SSIMULACRA2 must be below 100 (identical), got {self.value}")
        elif not self.value > 0:
            raise CodecError(f"target {self.kind} must be positive, got {self.value}")
        if self.kind == "ssim" and self.value > 1:
            raise CodecError(f"target SSIM must be at most 1, got {self.value}")

    def label(self) -> str:
        v = f"{self.value:g}"
        return {"size": f"{v} bytes", "bpp": f"{v} bpp", "psnr": f"PSNR {v} dB", "ssim": f"SSIM {v}",
                "ssimulacra2": f"SSIMULACRA2 {v}", "butteraugli": f"Butteraugli {v}"}[self.kind]

    @property
    def sign(self) -> int:
        """+1 where a larger knob raises the value, -1 where it lowers it (a distance)."""
        return -1 if self.kind in LOWER_IS_BETTER else 1

    def met_text(self) -> str:
        """What 'met' means for this target, in words."""
        if self.kind in ABSOLUTE_TOLERANCE:
            return f"{ABSOLUTE_TOLERANCE[self.kind][1]:g} point"
        return f"{MET_TOLERANCE * 100:g}%"

    def tolerances(self, goal: float) -> tuple[float, float]:
        """(stop, met) as absolute differences from ``goal``."""
        if self.kind in ABSOLUTE_TOLERANCE:
            return ABSOLUTE_TOLERANCE[self.kind]
        return STOP_TOLERANCE * abs(goal), MET_TOLERANCE * abs(goal)


@dataclass(frozen=True)
class Probe:
    knob: float
    data: bytes | None  # None: estimated, not coded
    decoded: np.ndarray | None
    value: float
    encode_ms: float | None = None  # the one timed encode of ``data``


@dataclass(frozen=True)
class SearchReport:
    kind: str
    target: float
    achieved: float
    error_pct: float
    met: bool
    encodes: int
    knob: str
    knob_value: float
    note: str
    estimated: int = 0  # settings judged from an estimate without coding (a learned codec's latent search)
    sampled: int = 0  # encodes of a sample of a big image's tiles that guided the search (not counted in encodes)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "achieved": self.achieved,
            "error_pct": round(self.error_pct, 3),
            "met": self.met,
            "encodes": self.encodes,
            "knob": self.knob,
            "knob_value": self.knob_value,
            "note": self.note,
            "estimated": self.estimated,
            "sampled": self.sampled,
        }


def search(
    codec: Codec,
    pixels: np.ndarray,
    settings: dict[str, Any],
    target: Target,
    measure: Callable[[np.ndarray, np.ndarray], float | None] | None,
    max_encodes: int = 14,
) -> tuple[dict[str, Any], Probe, SearchReport]:
    """Bisect ``codec.knob`` until ``target`` is met.

    Args:
        measure: the quality metric for psnr/ssim targets (ref, decoded) -> value; None for size targets.
    Returns:
        The settings used, the chosen probe (encoded bytes, decoded image) and a report.
    """
    knob = codec.knob
    if knob is None or not codec.searchable(settings):
        raise CodecError(f"{codec.id}: no quality knob to search under these settings")
    h, w = pixels.shape[:2]
    real_goal = target.value * w * h / 8 if target.kind == "bpp" else target.value
    goal = target.sign * real_goal  # the search's own values rise with the knob
    prober = _Prober(codec, pixels, settings, target, measure, codec.estimator(pixels, settings))
    guide = _sample_search(codec, pixels, settings, target, real_goal, max_encodes) if prober.estimator is None else None
    best = prober.run(goal, max_encodes, guide[0] if guide else None)
    probes = prober.probes
    value = target.sign * best.value
    error = (value - real_goal) / abs(real_goal) * 100 if real_goal else 0.0
    met = abs(best.value - goal) <= target.tolerances(goal)[1]
    achieved = value * 8 / (w * h) if target.kind == "bpp" else value
    note = "" if met else _why_not(codec, probes, goal, knob)
    used = prober.settings_at(best.knob)
    report = SearchReport(target.kind, target.value, achieved, error, met, len(prober.coded), knob.option,
                          used[knob.option], note, prober.estimated, guide[1] if guide else 0)
    return used, best, report


SAMPLE_ABOVE = 2_500_000  # pixels: a bigger image's size search is run on a sample of it first
SAMPLE_GRID = 4  # the sample: 4 x 4 tiles from across the image
SAMPLE_TILE = 256  # the largest tile: a 10 MP photo's sample is about 1 MP, a tenth of it
SAMPLE_SHARE = 4  # and at most a quarter of the image's pixels


def sample_tile(height: int, width: int) -> int:
    """The side of the sample's tiles: a multiple of 64 (the mosaic keeps every block-based codec's block phase),
    at most :data:`SAMPLE_TILE`, the sample at most 1 / :data:`SAMPLE_SHARE` of the image (0: too small).

    A 1 MP sample of a 2048x1280 photo is 40 % of it: its encodes (4-6 while the sample's search converges)
    cost as much as the real encodes they save. With 192 px tiles (22 %) the same searches took a fifth less
    time (measured on two Kodak photos enlarged to 2048x1280, five codecs, 0.5 and 1 bpp: 41.7 s -> 33.5 s)."""
    side = int(math.sqrt(height * width / SAMPLE_SHARE) / SAMPLE_GRID) // 64 * 64
    return min(SAMPLE_TILE, side)


def sample_of(pixels: np.ndarray) -> np.ndarray | None:
    """A mosaic of tiles taken evenly across a big image (their corners on a 64 px grid, so every block-based
    codec sees its blocks in the same phase), or None for an image small enough to search directly."""
    h, w = pixels.shape[:2]
    t, n = sample_tile(h, w), SAMPLE_GRID
    if h * w <= SAMPLE_ABOVE or t < 64 or min(h, w) < t * n:
        return None
    ys = [(h - t) * i // (n - 1) // 64 * 64 for i in range(n)]
    xs = [(w - t) * i // (n - 1) // 64 * 64 for i in range(n)]
    return np.ascontiguousarray(np.concatenate(
        [np.concatenate([pixels[y:y + t, x:x + t] for x in xs], axis=1) for y in ys], axis=0))


def _sample_search(codec: Codec, pixels: np.ndarray, settings: dict[str, Any], target: Target, real_goal: float,
                   max_encodes: int) -> tuple[list[tuple[float, float]], int] | None:
    """For a size target on a big image: the same search on its sample (:func:`sample_of`), its
    probes scaled to the whole image's bytes, to aim the real encodes. Where the sample's bytes per pixel differ
    from the image's, the real probes correct it; only real encodes decide what is reported."""
    sample = sample_of(pixels) if target.kind in ("size", "bpp") else None
    if sample is None:
        return None
    share = sample.shape[0] * sample.shape[1] / (pixels.shape[0] * pixels.shape[1])
    sub = _Prober(codec, sample, settings, Target("size", real_goal * share), None)
    _bisect(sub, codec.knob, real_goal * share, max_encodes)
    return sorted((x, p.value / share) for x, p in sub.coded.items()), len(sub.coded)


class _Prober:
    """Encodes (and for quality targets decodes and measures) at a knob value, once per value; or, with an
    estimator, judges each value from its estimate and codes only the chosen one."""

    def __init__(self, codec: Codec, pixels: np.ndarray, settings: dict[str, Any], target: Target,
                 measure: Callable[[np.ndarray, np.ndarray], float | None] | None, estimator: Estimator | None = None):
        self.codec, self.pixels, self.settings, self.target, self.measure = codec, pixels, settings, target, measure
        self.estimator = estimator
        self.probes: dict[float, Probe] = {}  # what the bisection sees: coded, or estimated
        self.coded: dict[float, Probe] = {}
        self.estimated = 0

    def settings_at(self, x: float) -> dict[str, Any]:
        knob = self.codec.knob
        assert knob is not None  # search() checked
        return {**self.settings, knob.option: int(x) if knob.integer else round(x, 4)}

    def run(self, goal: float, max_encodes: int, guide: list[tuple[float, float]] | None = None) -> Probe:
        """Bisect (aimed by ``guide``'s (knob, value) points where given), and return the probe closest to
        ``goal``: a coded one."""
        knob = self.codec.knob
        _bisect(self, knob, goal, max_encodes, guide)
        best = min(self.probes.values(), key=lambda p: abs(p.value - goal))
        if self.estimator is None:
            return best
        self.estimated = len(self.probes)
        real = self.code(best.knob)
        if abs(real.value - best.value) <= max(self.target.tolerances(best.value)[0], 1e-12):
            return real
        self.estimator, self.probes = None, dict(self.coded)  # the estimate misled: encode every probe instead
        return self.run(goal, max_encodes)

    def code(self, x: float) -> Probe:
        """Encode at ``x`` (timed once), and decode and measure for a quality target."""
        if x not in self.coded:
            if self.estimator is not None:  # coded from what the estimates were made from (a learned latent)
                data, ms = self.estimator.encode(self.settings_at(x))
            else:
                start = time.perf_counter()
                data = self.codec.encode(self.pixels, self.settings_at(x))
                ms = (time.perf_counter() - start) * 1000
            if self.target.kind in ("size", "bpp"):
                self.coded[x] = Probe(x, data, None, float(len(data)), ms)
            else:
                decoded = self.codec.decode(data)
                self.coded[x] = Probe(x, data, decoded, self._measure(decoded), ms)
        return self.coded[x]

    def _measure(self, decoded: np.ndarray) -> float:
        if self.measure is None:
            raise ValueError(f"a {self.target.kind} target needs its metric")
        value = self.measure(self.pixels, decoded)
        return float("inf") if value is None else self.target.sign * value

    def __call__(self, x: float) -> Probe:
        if x not in self.probes:
            if self.estimator is None:
                self.probes[x] = self.code(x)
            elif self.target.kind in ("size", "bpp"):
                self.probes[x] = Probe(x, None, None, self.estimator.size(self.settings_at(x)))
            else:
                decoded = self.estimator.decoded(self.settings_at(x))
                self.probes[x] = Probe(x, None, decoded, self._measure(decoded))
        return self.probes[x]


def _bisect(probe: _Prober, knob, goal: float, max_encodes: int, guide: list[tuple[float, float]] | None = None) -> None:
    """Narrow the knob's bracket until a probe lands within the stop tolerance, the knob's resolution is reached
    or the encodes run out; then probe the last bracket's ends (the answer lies between them).

    The first steps halve the bracket; once both ends have been measured the next point is interpolated
    between them (regula falsi; in log-bytes for size targets, where bytes grow about exponentially with the
    knob), kept at least an eighth of the bracket inside it so the bracket always shrinks. On real photos this
    takes about half the encodes of halving alone (benchmarks/compare_speed.py).

    With every probe on one side of the goal, :func:`_out_of_reach` may send the next one to the knob's end.

    With a ``guide`` (a sample's probes, :func:`_sample_search`) the first probe is where the guide meets the
    goal and the second steps from it along the guide's slope, a quarter further so that the two bracket the
    goal; the bracket is then closed as above."""

    stop = probe.target.tolerances(goal)[0]

    def close_enough(p: Probe) -> bool:
        return abs(p.value - goal) <= stop

    scale = math.log if probe.target.kind in ("size", "bpp") else (lambda v: v)
    lo, hi = float(knob.low), float(knob.high)
    ends: dict[str, Probe] = {}
    resolution = 1.0 if knob.integer else (hi - lo) / 1000
    aim = _aim(guide, scale, goal) if guide else None
    while hi - lo > resolution and len(probe.probes) < max_encodes:
        mid = (lo + hi) / 2
        margin = (hi - lo) / 8
        if "lo" in ends and "hi" in ends:
            a, b = scale(max(ends["lo"].value, 1e-12)), scale(max(ends["hi"].value, 1e-12))
            if b > a:
                mid = min(max(lo + (scale(goal) - a) / (b - a) * (hi - lo), lo + margin), hi - margin)
        elif len(ends) == 1 and aim is None and (end := _out_of_reach(probe.probes.values(), goal, scale, lo, hi)):
            mid = end
        elif aim is not None and not probe.probes:
            mid = aim[0]
        elif aim is not None and aim[1] and len(probe.probes) == 1:
            (first,) = probe.probes.values()
            step = 1.25 * (scale(goal) - scale(max(first.value, 1e-12))) / aim[1]
            # at least the knob's resolution into the open side; the knob's end itself where it comes that close
            if "lo" in ends:
                mid = min(first.knob + max(step, resolution), hi)
                mid = hi if hi - mid < 2 * resolution else mid
            else:
                mid = max(first.knob + min(step, -resolution), lo)
                mid = lo if mid - lo < 2 * resolution else mid
        mid = float(round(mid)) if knob.integer else mid
        if mid in probe.probes:  # rounding gave a value already probed: the bracket cannot shrink
            break
        p = probe(mid)
        if close_enough(p):
            break
        if p.value < goal:
            lo, ends["lo"] = mid, p
        else:
            hi, ends["hi"] = mid, p
    for edge in (lo, hi):
        if len(probe.probes) >= max_encodes or any(close_enough(p) for p in probe.probes.values()):
            break
        probe(edge)


def _out_of_reach(probes, goal: float, scale, lo: float, hi: float) -> float | None:
    """The open end of the bracket (``hi`` when every probe is below ``goal``, ``lo`` when every one is above) to
    probe next, where after three probes on one side the two nearest it extrapolate past it (an out-of-reach
    target then takes four probes, not eleven); None otherwise. (After two, the curve's bend near the knob's ends
    misleads: on Kodak sizes that cost more encodes than it saved.)"""
    below = sorted((p.knob, scale(max(p.value, 1e-12))) for p in probes if p.value < goal)
    above = sorted((p.knob, scale(max(p.value, 1e-12))) for p in probes if p.value > goal)
    g = scale(goal)
    if len(below) >= 3 and not above:
        (xa, fa), (xb, fb) = below[-2:]
        return hi if fb > fa and xb + (g - fb) * (xb - xa) / (fb - fa) >= hi else None
    if len(above) >= 3 and not below:
        (xa, fa), (xb, fb) = above[:2]
        return lo if fb > fa and xa - (fa - g) * (xb - xa) / (fb - fa) <= lo else None
    return None


def _aim(guide: list[tuple[float, float]], scale, goal: float) -> tuple[float, float | None]:
    """Where the guide's points (knob, value; rising) meet ``goal``, and their slope there (in ``scale``; None
    when they show none): between the two that bracket it, else from the nearest end."""
    pts = [(x, scale(max(v, 1e-12))) for x, v in guide]
    g = scale(goal)
    pairs = list(pairwise(pts))
    pair = next(((a, b) for a, b in pairs if a[1] <= g <= b[1]), None)
    if pair is None and pairs:
        pair = pairs[0] if g < pts[0][1] else pairs[-1]
    if pair is None or pair[1][1] <= pair[0][1]:
        return (min(pts, key=lambda p: abs(p[1] - g))[0], None)
    (xa, fa), (xb, fb) = pair
    slope = (fb - fa) / (xb - xa)
    x = xa + (g - fa) / slope if fa <= g <= fb else (xa if g < fa else xb)
    return x, slope


def _why_not(codec: Codec, probes: dict[float, Probe], goal: float, knob) -> str:
    values = [p.value for p in probes.values()]
    if goal < min(values) and min(probes) <= knob.low:
        return f"{codec.id} cannot go this low; nearest reachable shown"
    if goal > max(values) and max(probes) >= knob.high:
        return f"{codec.id} cannot reach this; nearest reachable shown"
    return "knob too coarse for this target; nearest shown"
