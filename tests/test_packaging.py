"""``pip install .`` gives a working package: every subpackage, the dependencies, the ``imgcr`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_declared_dependencies_match_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert sorted(r for r in reqs if r) == sorted(project["dependencies"])
    assert project["scripts"]["imgcr"] == "imgcr.cli:main"


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path, photo):
    import shutil

    from PIL import Image

    wheel_dir, target, src = tmp_path / "wheel", tmp_path / "site", tmp_path / "src"
    src.mkdir()  # build from a copy: setuptools writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT / "imgcr", src / "imgcr", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir),
                    str(src)], check=True, timeout=300)
    wheel = next(wheel_dir.glob("imgcr-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    installed = {p.parent.relative_to(target).as_posix() for p in (target / "imgcr").rglob("__init__.py")}
    in_tree = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "imgcr").rglob("__init__.py")}
    assert installed == in_tree  # every subpackage made it into the wheel
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = target / "bin" / "imgcr"
    assert script.is_file()
    out = subprocess.run([sys.executable, str(script), "codecs", "--json"], cwd=work, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert {c["id"] for c in json.loads(out.stdout)} >= {"jpeg", "png", "webp", "jpeg+dncnn3"}
    src = work / "p.png"
    Image.fromarray(photo[:64, :64]).save(src)
    out = subprocess.run([sys.executable, "-m", "imgcr", "restore", str(src), "--model", "nlmeans", "--degrade", "noise:15",
                          "--out", str(work / "r.png"), "--json"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["restored"]["psnr"] > json.loads(out.stdout)["degraded"]["psnr"]
    imported = subprocess.run([sys.executable, "-c", "import imgcr, imgcr.models.nets, imgcr.train.loop; print(imgcr.__file__)"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert imported.stdout.strip().startswith(str(target))
