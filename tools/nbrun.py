"""Execute one notebook from a fresh kernel (shared by execute_notebooks.py and benchmark.py).

Usage: python tools/nbrun.py NOTEBOOK [--inplace]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from retail_lab.repro import numeric_env

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 900


def execute(path: Path, inplace: bool) -> float:
    """Run every cell of ``path`` top to bottom in a new kernel; return seconds taken."""
    # the kernel inherits the book's numeric configuration (the first cell pins it again)
    os.environ.update(numeric_env())
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=False,  # cells tagged raises-exception are allowed to fail
    )
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    if inplace:
        _relative_paths(nb)
        nbformat.write(nb, path)
    return seconds


def _relative_paths(nb) -> None:
    """Store tracebacks (cells tagged raises-exception) as a reader needs them: paths relative
    to the project (not the building machine's directories), and only the reader's own cell
    and the error itself, not the frames inside the libraries."""
    prefix = str(ROOT) + os.sep
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = [line.replace(prefix, "") for line in out["traceback"]]
                # IPython's list: a rule, the header, the cell's frame, library frames, the error
                cell_frame = next((i for i, line in enumerate(tb) if "Cell" in line[:40]), None)
                if cell_frame is not None and len(tb) - cell_frame > 2:
                    hidden = len(tb) - cell_frame - 2
                    tb = tb[:cell_frame + 1] + [
                        f"... ({hidden} frame{'s' if hidden > 1 else ''} inside the libraries "
                        "omitted)", tb[-1]]
                out["traceback"] = tb


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(f"{execute(Path(sys.argv[1]).resolve(), '--inplace' in sys.argv):.2f}")
