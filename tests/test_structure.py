"""The shape of the house (issue: one place for each thing): one-way imports, one table per kind of thing,
one contract for learned codecs, small functions and UI modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    mods = {}
    for p in (ROOT / "imgcr").rglob("*.py"):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """imgcr modules that ``name`` imports anywhere (top level or inside a function)."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    deps: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("imgcr"):
                deps |= {f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names}
        elif isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name.startswith("imgcr")}
    return {d for d in deps if d in mods and d != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_even_through_lazy_imports():
    mods = _modules()
    graph = {m: _imports(m, p, mods) for m, p in mods.items()}
    assert _cycles(graph) == []
    # the detector itself finds a circle when there is one
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_every_catalogue_model_has_its_architecture_and_codec_networks_stay_apart():
    from imgcr.learned.archs import ARCHS as CODECS
    from imgcr.models import MODELS
    from imgcr.models.archs import ARCHS
    from imgcr.models.nets import ARCHS as OWN

    for m in MODELS:
        arch = ARCHS[m.arch]
        assert arch.classical == m.classical, m.id  # weights <=> a loader; no weights <=> a run function
        assert (arch.run is not None) == m.classical, m.id
    assert set(OWN) <= set(ARCHS)
    assert not set(CODECS) & set(ARCHS) and not set(CODECS) & set(OWN)


def test_both_kinds_of_learned_codec_keep_the_contract():
    from imgcr.learned.archs import ARCHS
    from imgcr.learned.comcnn import ComCNNJpeg
    from imgcr.learned.contract import LearnedNet
    from imgcr.learned.nets import FactorizedAE, HyperpriorAE, MultiResAE

    nets = [FactorizedAE(8, 12), HyperpriorAE(8, 12), MultiResAE(8, 12), ComCNNJpeg(3, 8, 3)]
    assert {type(n) for n in nets} == set(ARCHS.values())
    for net in nets:
        assert isinstance(net, LearnedNet), type(net).__name__


def _functions():
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                params = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)] + [p.arg for p in (a.vararg, a.kwarg) if p]
                params = [p for p in params if p not in ("self", "cls")]
                yield name, node.name, node.end_lineno - node.lineno + 1, len(params)  # type: ignore[operator]


def test_functions_are_short_and_take_few_parameters():
    """No function over 60 lines or 8 parameters, except the CLI's argument parser (a flat list of flags)."""
    offenders = [(m, f, lines, params) for m, f, lines, params in _functions()
                 if (lines > 60 or params > 8) and (m, f) != ("imgcr.cli", "_parser")]
    assert offenders == []


def test_ui_modules_stay_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "imgcr" / "ui").glob("*.py")}
    assert max(sizes.values()) <= 300, sizes


def test_the_readme_layout_names_every_module():
    """The README's layout section matches the tree: every module and package under imgcr/ is named in it
    (a subpackage's modules by file name), and everything it names exists."""
    import re

    text = (ROOT / "README.md").read_text()
    layout = text[text.index("## Layout"):text.index("## Benchmarks")]
    for path in sorted((ROOT / "imgcr").rglob("*.py")):
        rel = path.relative_to(ROOT / "imgcr")
        if rel.name in ("__init__.py", "__main__.py") or rel.parts[0] == "ui" and len(rel.parts) > 1 and rel.stem in ("common", "present"):
            continue
        top = f"imgcr/{rel.parts[0]}" + ("/" if len(rel.parts) > 1 else "")
        assert top in layout, f"{top} is not in the README's layout"
        if len(rel.parts) > 1 and rel.parts[0] in ("bench", "models", "learned", "ui"):
            assert rel.stem in layout, f"imgcr/{rel} is not in the README's layout"
    for named in re.findall(r"imgcr/[\w/.]+", layout):
        assert (ROOT / named.rstrip("/")).exists(), f"the layout names {named}, which does not exist"
