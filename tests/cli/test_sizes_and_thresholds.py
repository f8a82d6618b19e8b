"""Sizes checked against memory before anything is allocated, and thresholds that give no
decision refused (issue 19, point 4): each a one-line message and exit status 2."""

from __future__ import annotations

import pytest

import cea.model.memory as memory
from cea.analyses.two_way import two_way
from cea.cli import main
from cea.model.memory import ROW_BYTES, check_rows
from tests.helpers.paths import ROOT

HIV = ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"
WALKBACK = ROOT / "inputs" / "walkback.xlsx"


def test_check_rows_compares_with_the_memory_available(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**30)
    check_rows("f", "n", 10, 2**20, 2**10, "Use less.")  # exactly 1 GiB: fits
    with pytest.raises(ValueError, match=r"^f: n 11 makes 1,048,577 model rows, whose results "
                                         r"need about 1\.0 GiB; this machine has 1\.0 GiB "
                                         r"available\. Use less\.$"):
        check_rows("f", "n", 11, 2**20 + 1, 2**10, "Use less.")
    monkeypatch.setattr(memory, "available_bytes", lambda: None)
    check_rows("f", "n", 11, 10**15, 10**6, "Use less.")  # unknown memory: not refused


def test_two_way_refuses_a_grid_that_cannot_fit(load, monkeypatch):
    from tests.helpers.builders import linear_sheets

    spec = load(linear_sheets())
    per_row = ROW_BYTES * (len(spec.free_parameters) + 4 * len(spec.strategies))
    monkeypatch.setattr(memory, "available_bytes", lambda: 100 * per_row)
    two_way(spec, "p_die_b", "c_x", points=10)  # 100 rows: fits
    with pytest.raises(ValueError, match="points 11 makes 121 model rows"):
        two_way(spec, "p_die_b", "c_x", points=11)


@pytest.mark.parametrize("argv, message", [
    (["twoway", "rr", "c_a", str(HIV), "--points", "100000"],
     "cea twoway: two_way: points 100,000 makes 10,000,000,000 model rows"),
    (["gsa", str(WALKBACK), "--n", str(2**30)],
     "cea gsa: sobol_indices: n 1,073,741,824 makes"),
    (["threshold", "rr", str(HIV), "--wtp", "nan"],
     "cea threshold: The 'wtp' parameter of threshold must be a finite number >= 0. Got nan"),
    (["threshold", "rr", str(HIV), "--wtp", "-5"],
     "cea threshold: The 'wtp' parameter of threshold must be a finite number >= 0. Got -5"),
])
def test_the_command_line_refuses_with_one_line(argv, message, capsys, tmp_path,
                                                monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 32 * 2**30)
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err
    assert not any(p.suffix == ".xlsx" for p in tmp_path.iterdir())
