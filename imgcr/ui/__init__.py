"""The Gradio app. The only package in imgcr that imports gradio."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from imgcr import __version__, config  # noqa: E402
from imgcr.ui import bench_tab, compare_tab, learn_tab, present, restore_tab  # noqa: E402
from imgcr.ui.common import GRADIO_DELETE_CACHE  # noqa: E402

LAUNCH_KWARGS = {"css": present.CSS, "js": present.JS}
"""What ``demo.launch`` needs besides the Blocks (Gradio 6 takes css and js there)."""

INTRO = (
    "# imgcr — see and measure what a codec does to an image\n"
    "Drop an image, pick formats, and compare them at the same setting, the same file size or the same quality. "
    "Sizes are the real encoded bytes; images are displayed losslessly (PNG); metrics follow their reference "
    "implementations (PSNR over RGB, SSIM per Wang et al. with a Gaussian σ=1.5 window, MS-SSIM with 5 scales, LPIPS-alex v0.1)."
)


def warm() -> None:
    """What the app makes ready before it serves, not inside a request: LPIPS's network (a default metric, and
    the first visit measures it: a worker thread importing torch starved the server, an upload showed nothing
    for tens of seconds) and plotly's figure machinery (a first figure takes 0.2-0.3 s more than the next).

    Then what is loaded by now (gradio, torch, pandas, plotly: about a million objects that live as long as the
    server) is moved out of the garbage collector's sight (``gc.freeze``): a full collection walked them all,
    0.14 s with the interpreter held, once or twice per comparison (measured inside the first chart of a
    2048x1280 comparison: 0.16 s of CPU, 0.017 s once frozen)."""
    import gc

    from imgcr.bench.plots import compare_bars
    from imgcr.metrics import lpips_metric

    lpips_metric.warm()
    compare_bars([])
    gc.collect()  # what is garbage now is not kept for ever
    gc.freeze()


def build_app() -> gr.Blocks:
    warm()
    with gr.Blocks(title="imgcr", analytics_enabled=False, delete_cache=GRADIO_DELETE_CACHE) as demo:
        with gr.Row(elem_id="header"):
            gr.Markdown(INTRO)
            toggle = gr.Button("Presentation view", size="sm", scale=0, min_width=180, elem_id="present-toggle")
        toggle.click(None, js=present.TOGGLE_JS)
        with gr.Tab("Compare formats"):
            compare_tab.build(demo)
        with gr.Tab("Restore"):
            restore_tab.build()
        with gr.Tab("Benchmark"):
            bench_tab.build()
        with gr.Tab("Learn: how JPEG works"):
            learn_tab.build()
        gr.Markdown(f"imgcr {__version__}")
    demo.queue(default_concurrency_limit=config.concurrency())
    return demo
