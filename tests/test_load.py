"""A small load test: 3 concurrent gradio_client users mixing compare, restore and bench on a real server."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _load_driver():
    spec = importlib.util.spec_from_file_location("imgcr_load_bench", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_users_at_once_get_every_answer(app_server):
    driver = _load_driver()
    out = driver.run_load(app_server, users=3, calls=3, mix=("compare", "restore", "bench"))
    records = out["records"]
    assert len(records) == 9 and not out["failures"], out["failures"]
    assert {r["kind"] for r in records} == {"compare", "restore", "bench"}
    starts = sorted(r["at"] for r in records)
    assert starts[2] - starts[0] < min(r["seconds"] for r in records)  # the users really were concurrent
