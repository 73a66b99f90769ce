"""The Restore tab's model list: which models are offered, what a run will cost, downloads, model cards.

Which models run here and what a run costs are the backend's (:mod:`imgcr.models.availability`,
:mod:`imgcr.models.cost`); this module only words them.
"""

from __future__ import annotations

import gradio as gr

from imgcr import weights
from imgcr.models import MODELS, get_model
from imgcr.models.availability import availability, not_runnable, runnable_ids
from imgcr.models.cost import COSTS
from imgcr.ui.common import load_input, user_errors


def _mb(spec) -> str:
    return f"{spec.size / 1e6:.1f} MB" if spec.size else "size unknown"


def model_choice(model_id: str) -> tuple[str, str]:
    """The checkbox label: a model not yet here says it downloads, and how much."""
    a = availability(get_model(model_id))
    label = f"Study only — {a.spec.label}: {a.spec.notes}" if a.spec.study else a.spec.label
    return (label, a.spec.id) if a.here else (f"{label} — downloads {_mb(a.spec.weights)} on first use", a.spec.id)


def download_choice(m) -> tuple[str, str]:
    pinned = "" if m.weights.sha256 else ", no published sha256"
    return f"{m.id}: {m.label} ({_mb(m.weights)}{pinned})", m.id


def download_choices() -> list[tuple[str, str]]:
    return [download_choice(m) for m in not_runnable() if m.weights is not None and weights.sources(m.weights)]


def download_list_markdown() -> str:
    """Every model that needs a download first: size, source, licence."""
    lines = []
    for m in not_runnable():
        if m.weights is None:  # classical methods always run
            continue
        where = weights.sources(m.weights)
        lines.append(f"- **{m.id}** ({m.label}, {_mb(m.weights)}): "
                     f"{'from ' + ' or '.join(where) if where else 'no download source'}"
                     f"{'' if m.weights.sha256 else ' (its authors publish no sha256)'}; {m.licence}")
    return "\n".join(lines) or "All models are available."


@user_errors
def update_estimate(upload, sample, model_ids, crop, size, chain=None, ensemble=False):
    """The time a run will take, before it starts (the backend's cost model, worded)."""
    if not model_ids:
        return ""
    try:
        image = load_input(upload, sample)
    except Exception:
        return ""
    w, h = (int(size), int(size)) if crop else (image.width, image.height)
    w, h = min(w, image.width), min(h, image.height)
    est = COSTS.estimate(list(model_ids), w, h, chain, bool(ensemble))
    heavy = [m for m in model_ids if get_model(m).heavy]
    basis = "measured on this server" if est.measured else "from the benchmarks"
    loads = f"; {est.loads} model(s) load first" if est.loads else ""
    text = (f"Estimated CPU time for {w}×{h}: {_duration(est.seconds)} to {_duration(est.high)} ({basis}{loads}; "
            "a GPU, when present, is much faster).")
    if heavy and not crop:
        text += f" {', '.join(heavy)} {'is' if len(heavy) == 1 else 'are'} heavy on CPU: consider 'Run on a crop'."
    return text


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


@user_errors
def download_weights(model_id, accept_unpinned, progress=gr.Progress()):
    """Fetch one model's weights (imgcr's Hub mirror, then the official source; sha256-checked) and offer it."""
    if not model_id:
        raise gr.Error("choose a model to download")
    spec = get_model(model_id)
    if spec.weights is None:
        raise gr.Error(f"{model_id} needs no weights")
    if not spec.weights.sha256 and not spec.weights.url_sha256_prefix and not accept_unpinned:
        raise gr.Error(f"{model_id}: its authors publish no sha256; tick 'Accept files without a published sha256' "
                       "to download it (its hash is recorded beside it)")

    def show(done, total):
        progress(done / total if total else 0.0, desc=f"{model_id}: {done / 1e6:.1f} MB")

    path = weights.fetch(spec.weights, progress=show, trust_unpinned=bool(accept_unpinned))
    size = path.stat().st_size
    return (f"{model_id}: downloaded and verified ({size / 1e6:.1f} MB) -> {path}; it is now in the model list.",
            gr.update(choices=[model_choice(m) for m in runnable_ids()]),
            gr.update(choices=download_choices(), value=None))


@user_errors
def download_info(model_id) -> str:
    """What a download of this model would fetch: size (asked of the source when not pinned), sources, licence."""
    if not model_id:
        return ""
    m = get_model(model_id)
    if m.weights is None:
        return f"{model_id} needs no weights"
    size = m.weights.size or (weights.remote_size(m.weights.url) if m.weights.url else None)
    where = " or ".join(weights.sources(m.weights)) or "no known source"
    pinned = ("sha256-checked against the catalogue" if m.weights.sha256 else
              "its authors publish no sha256: tick the box to accept it (the hash is recorded)")
    return (f"**{m.id}**: {f'{size / 1e6:.1f} MB' if size else 'size unknown (the source did not say)'} from {where}; "
            f"{pinned}; licence {m.licence}.")


def trained_models() -> list[str]:
    """Models with a model card beside their weights here: the ones imgcr trained itself."""
    from imgcr.train import card as cards

    paths = {m.id: availability(m).path for m in MODELS}
    return [mid for mid, path in paths.items() if path is not None and cards.find_for(path) is not None]


@user_errors
def show_card(model_id, x_axis):
    """The model card of one of imgcr's trained models: summary and curves (loss, validation PSNR)."""
    from imgcr.train import card as cards
    from imgcr.train.report import curves_figure

    if not model_id:
        return "", None
    path = cards.find_for(weights.require(get_model(model_id).weights))
    if path is None:
        raise gr.Error(f"{model_id}: no model card beside its weights")
    card = cards.read(path)
    return cards.summary_markdown(card), curves_figure([card], x="seconds" if x_axis == "time" else "step")
