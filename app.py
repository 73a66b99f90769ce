"""imgcr's Gradio app. ``demo`` sits at module level, as Hugging Face Spaces expect."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from imgcr import config  # noqa: E402
from imgcr.ui import LAUNCH_KWARGS, build_app  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        max_file_size=config.max_bytes(),
        **LAUNCH_KWARGS,
    )
