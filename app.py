"""imgcr's Gradio app. ``demo`` sits at module level, as Hugging Face Spaces expect.

``python app.py --help`` lists the settings; each is also an environment variable.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from imgcr import config  # noqa: E402

if __name__ == "__main__":
    config.parse_app_args(sys.argv[1:])  # before the app is built: settings are environment variables

from imgcr.ui import LAUNCH_KWARGS, build_app  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    demo.launch(
        server_name=config.host(),
        server_port=config.port(),
        share=config.share(),
        max_file_size=config.max_bytes(),
        **LAUNCH_KWARGS,
    )
