"""The worked example of docs/architecture.md runs: its three pieces, added to a copy of
the package, give a new command whose sheet lands in the results workbook, and the copy
still follows the dependency rule."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import openpyxl

from tests.architecture.test_layers import violations
from tests.helpers.paths import ROOT


def _blocks() -> list[str]:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Adding an analysis"):doc.index("## Tests mirror")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_worked_example_adds_a_command(tmp_path):
    analysis, presenter, entry = _blocks()
    package = tmp_path / "cea"
    shutil.copytree(ROOT / "cea", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "analyses" / "frontier.py").write_text(analysis, encoding="utf-8")
    (package / "export" / "frontier.py").write_text(presenter, encoding="utf-8")
    registry = package / "registry.py"
    source = registry.read_text(encoding="utf-8")
    anchor = "ANALYSES: tuple[Analysis, ...] = ("
    registry.write_text(source.replace(anchor, anchor + "\n    " + entry.strip()),
                        encoding="utf-8")
    present = package / "export" / "present.py"
    source = present.read_text(encoding="utf-8")
    present.write_text(source.replace('"gsa")', '"gsa", "frontier")'), encoding="utf-8")
    assert violations(package) == []
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "cea", "frontier",
                           str(ROOT / "inputs" / "examples" / "hiv_chancellor.xlsx"),
                           "--points", "5", "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out / "hiv_chancellor_frontier.xlsx", read_only=True)
    assert "frontier" in book.sheetnames
