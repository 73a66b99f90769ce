"""The Compare tab's published learned codecs: what fetching one costs, the download, and the time a run takes.

The six CompressAI designs (:mod:`imgcr.codecs.zoo`) join the codec list once every published quality of a
design is here. The box says, before anything is fetched, how many files, about how many MB, from where, how
they are checked and under which licence; the download fetches every quality with progress. Before a run, a
line under the codecs says how long the ticked published codecs will take on this image (the serial ones take
seconds to minutes on a CPU).
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from imgcr import weights
from imgcr.codecs import REGISTRY
from imgcr.codecs.zoo import LICENCE, ZooCodec
from imgcr.ui.common import load_input, user_errors


def codec_choices() -> list[tuple[str, str]]:
    """(label, id) of every codec that runs here now (published ones once their weights are here)."""
    return [(c.label, c.id) for c in REGISTRY.values() if c.available]


def _published() -> list[ZooCodec]:
    return [c for c in REGISTRY.values() if isinstance(c, ZooCodec)]


def _missing(codec: ZooCodec) -> list[int]:
    return [q for q in range(1, len(codec.pub.prefixes) + 1) if weights.find(codec.pub.weight(q)) is None]


def _design(design: str) -> ZooCodec:
    codec = REGISTRY.get(design)
    if not isinstance(codec, ZooCodec):
        raise gr.Error(f"{design!r} is not one of the published learned codecs")
    return codec


def _mb(codec: ZooCodec, qualities: list[int]) -> float:
    return sum(codec.pub.file_bytes(q) for q in qualities) / 1e6


def download_choices() -> list[tuple[str, str]]:
    """The published designs not all here: (label with what it fetches, id)."""
    out = []
    for c in _published():
        missing = _missing(c)
        if missing:
            out.append((f"{c.id}: {len(missing)} files, about {_mb(c, missing):.0f} MB", c.id))
    return out


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _time_range(codec: ZooCodec, pixels: int) -> str:
    low, high = codec.pub.coding_seconds(pixels)
    return _duration(high) if round(low) == round(high) else f"{_duration(low)} to {_duration(high)}"


@user_errors
def download_info(design: str | None) -> str:
    """What fetching a design means: files, size, sources, the hash check, licence, and its time here."""
    if not design:
        return ""
    codec = _design(design)
    missing = _missing(codec)
    if not missing:
        return f"**{design}**: all its weights are here; it is in the codec list."
    first = codec.pub.weight(missing[0])
    folders = [src.rsplit("/", 1)[0] + "/" for src in weights.sources(first)]
    where = (" or ".join(folders) + f" (e.g. `{first.names[0].rsplit('/', 1)[-1]}`)") if folders else "no known source"
    kodak = _time_range(codec, 768 * 512)
    serial = (" It codes its latent one position at a time (a context model, as published): slow on a CPU."
              if codec.pub.serial else "")
    return (f"**{codec.label}**: {len(missing)} files (one per published quality), about {_mb(codec, missing):.0f} MB, "
            f"from {where}; each checked against the sha256 prefix its published name carries (the full hash is "
            f"recorded beside it); licence {LICENCE}. Published Kodak BD-rate against JPEG: {codec.pub.kodak_bd_rate:+.1f} %. "
            f"Here a Kodak image (768×512) takes about {kodak} to encode and decode.{serial}")


@user_errors
def download_design(design: str | None, progress=gr.Progress()):
    """Fetch every missing quality of one published design (the Hub mirror, then CompressAI's URL; hash-checked)."""
    if not design:
        raise gr.Error("choose a published codec to download")
    codec = _design(design)
    missing = _missing(codec)
    for i, quality in enumerate(missing):
        spec = codec.pub.weight(quality)

        def show(done, total, i=i, spec=spec):
            part = done / total if total else 0.0
            progress((i + part) / len(missing), desc=f"{spec.id}: {done / 1e6:.1f} MB")

        weights.fetch(spec, progress=show)
    text = (f"{design}: {len(missing)} files downloaded and checked; it is now in the codec list." if missing
            else f"{design}: its weights were already here.")
    return text, gr.update(choices=codec_choices()), gr.update(choices=download_choices(), value=None)


def time_note(codec_ids: list[str] | None, upload: str | None, sample: str | None) -> str:
    """Before a run: how long the ticked published codecs take on this image here (empty when none is ticked)."""
    ticked = [c for c in _published() if c.id in (codec_ids or ())]
    if not ticked:
        return ""
    try:
        image = load_input(upload, sample)
    except Exception:  # no image yet, or a bad one: the run will say why
        return ""
    pixels = image.width * image.height
    parts = [f"{c.id} about {_time_range(c, pixels)}" for c in ticked]
    slow = [c.id for c in ticked if c.pub.serial]
    text = (f"Published learned codecs on this CPU, to encode and decode this {image.width}×{image.height} image once: "
            + "; ".join(parts) + ". An equal-size or equal-quality target encodes once per quality it tries.")
    if slow:
        text += f" {', '.join(slow)} decode{'s' if len(slow) == 1 else ''} position by position (serial): expect a wait."
    return text


def build(codecs: gr.CheckboxGroup, upload: gr.File, sample: gr.Dropdown) -> SimpleNamespace:
    """The time line under the codecs, and the download box when a published design is not yet here."""
    note = gr.Markdown(elem_id="zoo-time")
    for control in (codecs, upload, sample):
        control.change(time_note, [codecs, upload, sample], note, api_visibility="private", show_progress="hidden")
    choices = download_choices()
    with gr.Accordion("Published learned codecs (CompressAI): download", open=False, visible=bool(choices),
                      elem_id="zoo-download") as box:
        design = gr.Dropdown(choices, value=None, label="Design", elem_id="zoo-design")
        info = gr.Markdown()
        fetch = gr.Button("Download its weights", size="sm", elem_id="zoo-fetch")
        status = gr.Markdown(elem_id="zoo-status")
    design.change(download_info, design, info, api_visibility="private", show_progress="hidden")
    fetch.click(download_design, design, [status, codecs, design], api_visibility="private", show_progress_on=[status])
    return SimpleNamespace(note=note, box=box, design=design, info=info, fetch=fetch, status=status)
