"""Helpers shared by the tabs: user errors, uploads, per-request output folders."""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from imgcr.errors import ImgcrError
from imgcr.images import LoadedImage, load_image
from imgcr.samples import sample_path

OUTPUT_ROOT = Path(tempfile.gettempdir()) / "imgcr-outputs"
OUTPUT_TTL_S = 6 * 3600
SESSION_TTL_S = 2 * 3600  # per-session state (pixels of the last result) is dropped after this
GRADIO_DELETE_CACHE = (3600, 6 * 3600)  # Gradio's own temp files: checked hourly, deleted after 6 h


def user_errors(fn):
    """Turn ImgcrError into gr.Error: a one-line message in the UI, the server keeps serving."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ImgcrError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    return wrapper


def load_input(upload: str | None, sample: str | None) -> LoadedImage:
    """The uploaded file if there is one, else the chosen sample."""
    if upload:
        return load_image(upload, name=Path(upload).name)
    if sample:
        return load_image(sample_path(sample), name=sample.split(" (")[0])
    raise ImgcrError("drop an image file or pick a sample first")


def output_folder() -> Path:
    """A fresh folder for one request's downloads; folders older than a few hours are pruned."""
    OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in OUTPUT_ROOT.iterdir():
        try:
            if now - old.stat().st_mtime > OUTPUT_TTL_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return Path(tempfile.mkdtemp(dir=OUTPUT_ROOT))
