"""The retraining and error-analysis notebooks run headless, top to bottom, on the Kursk corpus.

They are stored without outputs; here they are executed with nbclient in a python3 kernel of
this interpreter (jupyter_client starts a kernelspec whose argv is ``python`` with
``sys.executable``). Skipped only when the corpus is absent.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CORPUS = Path(os.environ.get("CURNLP_CORPUS") or ROOT.parent / "shared" / "corpora" / "kursk" / "appeals.csv")
NAMES = ["01_retrain.ipynb", "02_error_analysis.ipynb"]
#: each notebook takes ~20-30 s on one busy core; the limit leaves room for a loaded CI machine
TIMEOUT = 300


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert "CURNLP_CORPUS" in code[0].source  # the one corpus setting, at the top


@pytest.mark.skipif(not CORPUS.is_file(), reason=f"corpus not found at {CORPUS} (set CURNLP_CORPUS)")
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name, monkeypatch):
    monkeypatch.setenv("CURNLP_CORPUS", str(CORPUS.resolve()))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    seconds = time.perf_counter() - t0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "the plots did not render"
    text = "".join(o.get("text", "") for o in outputs)
    assert str(CORPUS.resolve()) in text and "True" in text
    print(f"{name}: {seconds:.1f} s")
