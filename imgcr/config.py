"""Settings read from the environment, in one place.

``IMGCR_MAX_PIXELS``   largest image accepted (default 50 megapixels).
``IMGCR_MAX_BYTES``    largest upload accepted (default 200 MB).
``IMGCR_WEIGHTS_DIR``  extra folder searched first for model weights.
``IMGCR_CACHE_DIR``    where results and downloaded weights are cached
                       (default ``~/.cache/imgcr``).
``IMGCR_CACHE_MEMORY`` bytes of results kept in memory (default 1 GB).
``IMGCR_CACHE_DISK``   bytes of results kept on disk (default 2 GB; 0: no disk layer).
``IMGCR_BENCH_DIRS``   server-side image folders the Benchmark tab offers
                       (``os.pathsep``-separated; none by default).
``IMGCR_DEVICE``       force the device models run on (``cpu``, ``cuda``, ``cuda:1``).
``IMGCR_MODEL_POOL``   how many models stay loaded (default 2).
``IMGCR_ALLOW_DOWNLOADS`` fetch missing weights on first use (``1``/``0``; default on
                       when ``SPACE_ID`` is set, i.e. on a Hugging Face Space, off elsewhere).
``IMGCR_HUB_REPO``     the Hugging Face Hub model repo that mirrors the pinned weight files
                       (default ``imgcr/weights``; empty: official sources only).
``IMGCR_HUB_REVISION`` the revision (commit, tag or branch) of that repo (default ``main``).
``HF_ENDPOINT``        the Hub's address (huggingface_hub's own setting; tests point it at 127.0.0.1).

Every setting is read when it is used, so a test, a Space or a long-running server can
change it without re-importing anything. ``python app.py --help`` lists the app's
settings (:data:`SETTINGS`): each flag is also its environment variable.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def max_pixels() -> int:
    return int(os.environ.get("IMGCR_MAX_PIXELS", 50_000_000))


def max_bytes() -> int:
    return int(os.environ.get("IMGCR_MAX_BYTES", 200_000_000))


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "imgcr"
    return Path(os.environ.get("IMGCR_CACHE_DIR", default))


def cache_memory_bytes() -> int:
    return int(float(os.environ.get("IMGCR_CACHE_MEMORY", 1e9)))


def cache_disk_bytes() -> int:
    return int(float(os.environ.get("IMGCR_CACHE_DISK", 2e9)))


def weights_dirs() -> list[Path]:
    """Folders searched for weights, in order: $IMGCR_WEIGHTS_DIR, ./weights, the cache."""
    dirs = []
    if os.environ.get("IMGCR_WEIGHTS_DIR"):
        dirs.append(Path(os.environ["IMGCR_WEIGHTS_DIR"]))
    dirs.append(PROJECT_ROOT / "weights")
    dirs.append(cache_dir() / "weights")
    return dirs


def bench_dirs() -> list[Path]:
    """Server-side folders offered as benchmark image sets (existing ones only)."""
    raw = os.environ.get("IMGCR_BENCH_DIRS", "")
    return [Path(p) for p in raw.split(os.pathsep) if p and Path(p).is_dir()]


def device() -> str | None:
    """The forced model device, or None for automatic (a GPU when there is one)."""
    return os.environ.get("IMGCR_DEVICE") or None


def model_pool_size() -> int:
    return max(1, int(os.environ.get("IMGCR_MODEL_POOL", 2)))


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw not in ("0", "false", "no", "off")


def allow_downloads() -> bool:
    """Whether missing weights are fetched on first use (default: only on a Hugging Face Space)."""
    return _flag("IMGCR_ALLOW_DOWNLOADS", bool(os.environ.get("SPACE_ID")))


HUB_REPO = "imgcr/weights"


def hub_repo() -> str:
    return os.environ.get("IMGCR_HUB_REPO", HUB_REPO).strip()


def hub_revision() -> str:
    return os.environ.get("IMGCR_HUB_REVISION", "main").strip() or "main"


def hub_endpoint() -> str | None:
    return os.environ.get("HF_ENDPOINT") or None


def concurrency() -> int:
    """Requests the app runs at once (each tab's events; Gradio queues the rest)."""
    return max(1, int(os.environ.get("IMGCR_CONCURRENCY", 2)))


def compare_workers() -> int:
    """Codecs of one comparison encoded at once (``IMGCR_COMPARE_WORKERS``; default: the machine's cores)."""
    raw = os.environ.get("IMGCR_COMPARE_WORKERS")
    return max(1, int(raw)) if raw else max(1, os.cpu_count() or 1)


def model_concurrency_override() -> int | None:
    """``IMGCR_MODEL_CONCURRENCY``: restore runs at once, all tabs together (None: decided by the device,
    :func:`imgcr.devices.model_concurrency`)."""
    raw = os.environ.get("IMGCR_MODEL_CONCURRENCY")
    return max(1, int(raw)) if raw else None


def host() -> str:
    return os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")


def port() -> int:
    return int(os.environ.get("GRADIO_SERVER_PORT", 7860))


def share() -> bool:
    return _flag("IMGCR_SHARE", False)


@dataclass(frozen=True)
class Setting:
    """One app setting: a command-line flag and the environment variable it sets."""

    flag: str
    env: str
    help: str
    metavar: str = ""
    switch: bool = False  # an on/off flag (``--x`` / ``--no-x``)


SETTINGS: tuple[Setting, ...] = (
    Setting("--host", "GRADIO_SERVER_NAME", "address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)", "ADDR"),
    Setting("--port", "GRADIO_SERVER_PORT", "port (default 7860)", "N"),
    Setting("--share", "IMGCR_SHARE", "also serve through a temporary public Gradio link", switch=True),
    Setting("--max-pixels", "IMGCR_MAX_PIXELS", "largest image accepted, in pixels (default 50000000)", "N"),
    Setting("--max-upload", "IMGCR_MAX_BYTES", "largest upload accepted, in bytes (default 200000000)", "BYTES"),
    Setting("--cache-dir", "IMGCR_CACHE_DIR", "results and downloaded weights (default ~/.cache/imgcr)", "DIR"),
    Setting("--cache-memory", "IMGCR_CACHE_MEMORY", "bytes of results kept in memory (default 1e9)", "BYTES"),
    Setting("--cache-disk", "IMGCR_CACHE_DISK", "bytes of results kept on disk (default 2e9; 0: none)", "BYTES"),
    Setting("--weights-dir", "IMGCR_WEIGHTS_DIR", "extra folder searched first for weights", "DIR"),
    Setting("--device", "IMGCR_DEVICE", "device for models: cpu, cuda, cuda:1 (default: a GPU when there is one)", "DEV"),
    Setting("--allow-downloads", "IMGCR_ALLOW_DOWNLOADS",
            "fetch missing weights on first use, sha256-checked (default: on on a Space, off elsewhere)", switch=True),
    Setting("--concurrency", "IMGCR_CONCURRENCY", "requests run at once per tab (default 2)", "N"),
    Setting("--compare-workers", "IMGCR_COMPARE_WORKERS", "codecs of one comparison encoded at once (default: the cores)", "N"),
    Setting("--model-concurrency", "IMGCR_MODEL_CONCURRENCY",
            "model runs at once over all users (default: 1 on a GPU, else --concurrency)", "N"),
    Setting("--model-pool", "IMGCR_MODEL_POOL", "models kept loaded (default 2)", "N"),
    Setting("--bench-dirs", "IMGCR_BENCH_DIRS", "server folders the Benchmark tab offers (os.pathsep-separated)", "DIRS"),
)


def parse_app_args(argv: list[str] | None = None) -> argparse.Namespace:
    """``python app.py [--flag VALUE ...]``: every given setting is written to its environment variable."""
    parser = argparse.ArgumentParser(
        prog="python app.py", description="imgcr's web app. Every flag is also an environment variable (in brackets).")
    for s in SETTINGS:
        if s.switch:
            parser.add_argument(s.flag, dest=s.env, action=argparse.BooleanOptionalAction, default=None,
                                help=f"{s.help} [{s.env}]")
        else:
            parser.add_argument(s.flag, dest=s.env, metavar=s.metavar or None, default=None, help=f"{s.help} [{s.env}]")
    args = parser.parse_args(argv)
    for s in SETTINGS:
        value = getattr(args, s.env)
        if value is not None:
            os.environ[s.env] = ("1" if value else "0") if s.switch else str(value)
    return args
