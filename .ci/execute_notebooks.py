"""Re-execute lessons the way the course stores them: a fresh kernel, every cell, outputs and widget state saved.

    .venv/bin/python .ci/execute_notebooks.py                      every lesson
    .venv/bin/python .ci/execute_notebooks.py notebooks/02_*.ipynb  some of them

This is "Restart kernel and run all" plus "Save", without a browser: the stored outputs are what
nbval later compares. Cells run in notebooks/, with REDIS_URL and MPLBACKEND unset (the stored
outputs are the embedded store's, with matplotlib's inline backend), and nbconvert's per-cell
execution timestamps are dropped (noise in every diff).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute(path: Path) -> float:
    """Run one notebook in a fresh kernel and save it with its outputs; returns the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=900, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main(arguments: list[str]) -> int:
    for variable in ("REDIS_URL", "MPLBACKEND"):
        os.environ.pop(variable, None)
    paths = [Path(a).resolve() for a in arguments] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
