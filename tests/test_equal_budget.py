"""benchmarks/equal_budget.py: codec runs compared at equal steps from their validation logs."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("imgcr_equal_budget", ROOT / "benchmarks" / "equal_budget.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _log(run_dir, entries):
    run_dir.mkdir()
    lines = [json.dumps({"step": 50, "loss": 3.0})]  # training lines are skipped
    for step, seconds, scale in entries:
        by_value = {str(i): {"bpp": (0.2 + 0.15 * i) * scale, "psnr": 26.0 + 1.2 * i} for i in range(6)}
        lines.append(json.dumps({"val": {"step": step, "seconds": seconds, "by_value": by_value}}))
    (run_dir / "log.jsonl").write_text("\n".join(lines) + "\n")
    return run_dir


def test_bd_rate_at_shared_steps_and_the_docs_block(tmp_path):
    eb = _script()
    a = _log(tmp_path / "a", [(1000, 60, 1.0), (2000, 120, 1.0), (3000, 180, 1.0)])
    # b spends 10 % fewer bits at step 1000 and 20 % more at 2000; its step 2000 was redone after a resume
    b = _log(tmp_path / "b", [(1000, 90, 0.9), (2000, 170, 1.5), (2000, 185, 1.2)])
    doc = tmp_path / "learned.md"
    doc.write_text("# x\n")
    assert eb.main([f"hyper={a}", f"multi={b}", "--out", str(doc), "--html", str(tmp_path / "c.html")]) == 0
    rows = eb.compare({"hyper": eb.validation_curves(a), "multi": eb.validation_curves(b)})
    assert [r["step"] for r in rows] == [1000, 2000]  # step 3000 is a only
    assert rows[0]["multi"]["bd_rate"] == pytest.approx(-10.0, abs=0.01)
    assert rows[1]["multi"]["bd_rate"] == pytest.approx(20.0, abs=0.01)  # the later entry for 2000 wins
    assert rows[1]["multi"]["seconds"] == 185
    text = doc.read_text()
    assert "<!-- learned-budget:start -->" in text and "+20.0 % / -" in text and "-10.0 % / +" in text
    assert "plotly" in (tmp_path / "c.html").read_text()
