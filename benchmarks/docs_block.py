"""Replace a named block (``<!-- NAME:start -->`` ... ``<!-- NAME:end -->``) in a docs file."""

from __future__ import annotations

from pathlib import Path


def write_block(path: Path, name: str, info: str, table: str) -> None:
    text = path.read_text() if path.exists() else ""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{info}\n\n{table}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n" + block + "\n"
    path.write_text(text)


def publish(rows: list[str], write: Path | None, name: str, info: str) -> str:
    """A benchmark's markdown table (its lines): printed, and put into ``write``'s block ``name`` when given."""
    table = "\n".join(rows)
    print(table)
    if write:
        write_block(write, name, info, table)
    return table
