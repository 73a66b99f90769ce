from __future__ import annotations

import sys

from imgcr.cli import main

sys.exit(main())
