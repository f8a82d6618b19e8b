"""Fixtures shared by the tests (the builders themselves are in tests/helpers/)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

# One BLAS thread per test process, set before numpy is first imported (the import of
# cea.api below): pytest-xdist already runs a process on every core, and OpenBLAS's
# threads, on top of those, spin against each other (on 2 cores the EVPPI regressions ran
# 10-20 times slower). The subprocesses, pools and dask workers the tests start inherit it.
# A value set outside the tests is kept. It changes how long the tests take, not what
# they check.
for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pytest  # noqa: E402

from cea.api import write_input_workbook  # noqa: E402
from tests.helpers.paths import ROOT  # noqa: E402


@pytest.fixture
def make_workbook(tmp_path):
    """Factory: ``make_workbook(sheets, name="model.xlsx") -> Path`` written under tmp_path."""

    def make(sheets: dict, name: str = "model.xlsx") -> Path:
        return write_input_workbook(tmp_path / name, copy.deepcopy(sheets))

    return make


@pytest.fixture
def load(make_workbook):
    """``load(sheets) -> ModelSpec``, through a written workbook."""
    from cea.workbook import load_workbook

    counter = iter(range(1000))

    def build(sheets: dict):
        return load_workbook(make_workbook(sheets, name=f"m{next(counter)}.xlsx"))

    return build


@pytest.fixture(scope="session")
def walkback():
    """The shipped WalkBack model (a ModelSpec is immutable: one for every test)."""
    from cea.workbook import load_workbook

    return load_workbook(ROOT / "inputs" / "walkback.xlsx")


@pytest.fixture(scope="session")
def walkback_psa(walkback):
    """A 2,000-draw PSA of the shipped WalkBack model, seed 11."""
    from cea.analyses.psa import run_psa

    return run_psa(walkback, n_draws=2000, seed=11)
