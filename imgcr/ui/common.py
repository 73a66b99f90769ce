"""Helpers shared by the tabs: user errors, uploads, per-request output folders."""

from __future__ import annotations

import functools
import inspect
import logging
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from imgcr.errors import ImgcrError
from imgcr.images import LoadedImage, load_image
from imgcr.samples import sample_path

log = logging.getLogger("imgcr.ui")

OUTPUT_ROOT = Path(tempfile.gettempdir()) / "imgcr-outputs"
OUTPUT_TTL_S = 6 * 3600
SESSION_TTL_S = 2 * 3600  # per-session state (pixels of the last result) is dropped after this
GRADIO_DELETE_CACHE = (3600, 6 * 3600)  # Gradio's own temp files: checked hourly, deleted after 6 h


def user_errors(fn):
    """Turn ImgcrError into gr.Error: a one-line message in the UI, the server keeps serving.

    Works for generator handlers too (streamed results): the error ends the stream the same way."""

    def translate(exc: Exception) -> gr.Error:
        if isinstance(exc, ImgcrError):
            log.info("%s: %s", fn.__name__, exc)  # one line in the server log, no traceback
            return gr.Error(str(exc), print_exception=False)
        assert isinstance(exc, gr.Error)
        log.info("%s: %s", fn.__name__, exc.message)
        exc.print_exception = False
        return exc

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except (ImgcrError, gr.Error) as exc:
                raise translate(exc) from None

        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ImgcrError, gr.Error) as exc:
            raise translate(exc) from None

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


def link_upload_and_sample(upload: gr.File, sample: gr.Dropdown) -> None:
    """One input at a time: an upload clears the sample's name, picking a sample clears the upload."""
    upload.upload(lambda _f: None, upload, sample, api_visibility="private", queue=False, show_progress="hidden")
    sample.input(lambda _s: None, sample, upload, api_visibility="private", queue=False, show_progress="hidden")


def clear_on(button: gr.Button, outputs: list, status=None):
    """When ``button`` starts a run, the previous results go first (so an error never sits above stale ones).

    Returns the event: chain the run with ``.then`` so the clearing always happens before it."""
    targets = list(outputs) + ([status] if status is not None else [])
    values = [None] * len(outputs) + (["Working…"] if status is not None else [])
    return button.click(lambda: values, None, targets, api_visibility="private", queue=False, show_progress="hidden")


def on_gpu(fn):
    """On a ZeroGPU Space, ``spaces.GPU``: a GPU is attached for the duration of each call.

    Elsewhere (no ``spaces`` package, or a Space with dedicated hardware or none) it changes nothing."""
    try:
        import spaces  # type: ignore[import-not-found]
    except ImportError:
        return fn
    return spaces.GPU(fn)


def png_files(*images):
    """Images as lossless PNG files of their own, for image outputs.

    Gradio saves a returned array under a path named by its content, writing it in place; two requests
    (or two components) showing the same pixels at once then write one file while a browser reads it, and
    the browser gets a truncated image (seen in the load benchmark). Files returned by path are copied into
    Gradio's cache atomically. None stays None."""
    from PIL import Image

    folder = output_folder()
    out = []
    for i, px in enumerate(images):
        if px is None:
            out.append(None)
            continue
        path = folder / f"view{i}.png"
        Image.fromarray(np.ascontiguousarray(px)).save(path, compress_level=1)
        out.append(str(path))
    return tuple(out)


def parse_option_text(text: str | None) -> dict[str, dict[str, str]]:
    """The codec-options box's ``CODEC.NAME=VALUE`` items (space separated); empty for an empty box."""
    from imgcr.codecs import parse_options

    return parse_options(text.split()) if text and text.strip() else {}


def codec_options_box() -> gr.Textbox:
    """The codec-options text box and, under it, every codec's options and what its quality maps to."""
    from imgcr.codecs import REGISTRY

    box = gr.Textbox(value="", label="CODEC.NAME=VALUE, space separated",
                     placeholder="jpeg.subsampling=4:4:4 avif.speed=8 jpegxl.effort=9 ae-hyperprior.refine=10")
    lines = ["| codec | quality maps to | options |", "|---|---|---|"]
    for c in REGISTRY.values():
        opts = ", ".join(f"`{o.name}`={o.default}" + (f" ({'/'.join(map(str, o.choices))})" if o.choices else "")
                         for o in c.options)
        lines.append(f"| {c.id} | {c.quality_doc} | {opts or '-'} |")
    gr.Markdown("\n".join(lines))
    return box
