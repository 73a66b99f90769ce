"""imgcr: an image compression and restoration lab.

The backend package. Nothing here imports gradio except :mod:`imgcr.ui`, and
torch is imported lazily, only by the metrics and models that need it.
"""

from __future__ import annotations

__version__ = "0.1.0"
