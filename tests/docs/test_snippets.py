"""Every ```python block of README.md and docs/*.md runs, so a broken example fails.

Each block runs with ``exec`` in a fresh namespace (blocks share nothing: each is
self-contained), with the working directory a temporary one holding a copy of the
repository's ``inputs/``, so ``inputs/walkback.xlsx`` resolves and ``outputs/`` is
written there, never in the repository. A block whose first line is
``# not run: <reason>`` is skipped with that reason (for what the test machine may not
have: a dask cluster, an R session). Only the info string ``python`` is run: ``sh``,
``r``, ``text`` and the rest are not.
"""

from __future__ import annotations

import re
import shutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_NOT_RUN = re.compile(r"^#\s*not run:\s*(?P<reason>.*\S)")


@dataclass(frozen=True)
class Snippet:
    path: str  # relative to the repository, e.g. "docs/psa.md"
    line: int  # the line of the opening fence, from 1
    code: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        first = self.code.lstrip("\n").split("\n", 1)[0].strip()
        match = _NOT_RUN.match(first)
        return match["reason"] if match else None


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def collect(path: Path) -> list[Snippet]:
    """The fenced blocks of ``path`` whose info string is exactly ``python``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(ROOT).as_posix()
    snippets = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body, j = [], i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if (closing and closing["fence"][0] == fence[0]
                    and len(closing["fence"]) >= len(fence) and not closing["info"].strip()):
                break
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        if opening["info"].strip() == "python":
            snippets.append(Snippet(name, i + 1, "\n".join(body) + "\n"))
        i = j + 1
    return snippets


SNIPPETS = [s for doc in _documents() for s in collect(doc)]


def _listing(folder: Path) -> dict[str, int]:
    return {p.as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*")} \
        if folder.exists() else {}


@pytest.fixture
def in_scratch(tmp_path, monkeypatch):
    """A temporary working directory with a copy of the repository's inputs/."""
    shutil.copytree(ROOT / "inputs", tmp_path / "inputs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_runs(snippet: Snippet, in_scratch, monkeypatch):
    if snippet.skip_reason:
        pytest.skip(snippet.skip_reason)
    before = _listing(ROOT / "outputs")
    # blank lines first, so that a traceback names the line of the document
    code = compile("\n" * snippet.line + snippet.code, snippet.id, "exec", dont_inherit=True)
    # a module of its own, as a script or a module file has (dataclasses look it up)
    module = types.ModuleType("__snippet__")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    try:
        exec(code, module.__dict__)
    finally:
        if "matplotlib.pyplot" in sys.modules:  # figures the snippet left open
            sys.modules["matplotlib.pyplot"].close("all")
    assert _listing(ROOT / "outputs") == before, "the snippet wrote into the repository"


@pytest.mark.parametrize("name", ["README.md", "docs/psa.md", "docs/gsa.md",
                                  "docs/sensitivity.md", "docs/scaling.md",
                                  "docs/architecture.md"])
def test_the_collector_finds_blocks(name):
    assert any(s.path == name for s in SNIPPETS), f"no ```python block found in {name}"


def test_the_collector_runs_python_blocks_only(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.docs.test_snippets.ROOT", tmp_path)
    doc = tmp_path / "doc.md"
    doc.write_text("text\n\n```python\nx = 1\n```\n\n```sh\nls\n```\n\n```r\nx <- 1\n```\n\n"
                   "1. step\n\n   ```python\n   # not run: needs a cluster\n   y = 2\n   ```\n"
                   "\n````python\n```\n````\n\n```py\nz = 3\n```\n", encoding="utf-8")
    found = collect(doc)
    assert [(s.line, s.code) for s in found] == [
        (3, "x = 1\n"), (17, "# not run: needs a cluster\ny = 2\n"), (22, "```\n")]
    assert [s.skip_reason for s in found] == [None, "needs a cluster", None]
    assert found[0].id == "doc.md:3"
