"""The README's two commands stay true: CI runs the test command verbatim, the app command starts app.py."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_has_the_app_and_test_commands_and_ci_runs_the_latter():
    commands = _commands()
    app_cmd, test_cmd = commands[0], commands[1]
    assert "requirements.txt" in app_cmd and "app.py" in app_cmd
    assert "requirements-test.txt" in test_cmd and "pytest" in test_cmd
    assert test_cmd in (ROOT / ".ci" / "run").read_text().splitlines()


def test_spaces_front_matter():
    head = (ROOT / "README.md").read_text().split("---")[1]
    assert "sdk: gradio" in head and "app_file: app.py" in head


def test_torch_pair_is_pinned():
    reqs = (ROOT / "requirements.txt").read_text()
    assert "torch==2.14.1" in reqs and "torchvision==0.29.1" in reqs


def test_only_ui_imports_gradio():
    for path in (ROOT / "imgcr").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "imgcr").parts:
            continue
        text = path.read_text()
        assert "import gradio" not in text and "from gradio" not in text, path


def test_cli_import_does_not_import_torch_or_gradio():
    import subprocess
    import sys

    code = ("import sys, imgcr.cli, imgcr.pipeline, imgcr.codecs, imgcr.metrics; "
            "print('torch' in sys.modules, 'gradio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split() == ["False", "False"]
