"""Hostile input workbooks: XML entity attacks, zip bombs, code in cells, huge texts.

DESIGN.md (Errors and safety): untrusted files' XML entity attacks and oversized
archives are refused *before parsing* (cea/safety.py); nothing in a workbook can
execute Python. Each hostile file is made by surgery on a valid workbook (the HIV
model of scripts/build_workbooks.py), and each surgery has a control: the same
change without the attack loads, so a refusal is the attack's and not a broken file's.

Time and memory are measured around every refusal (wall time, peak memory traced by
tracemalloc, growth of the process's peak resident size); ``pytest -s`` prints them
and they are in the assertion messages.
"""

from __future__ import annotations

import io
import random
import re
import resource
import string
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.helpers.faults as tw
from cea.api import write_input_workbook
from cea.cli import main
from cea.model.problems import InputError
from cea.workbook import load_workbook
from cea.workbook.safety import MAX_FILE_BYTES, MAX_MEMBERS

MiB = 2**20
SHEET = "xl/worksheets/sheet1.xml"  # the settings sheet
TIME_BUDGET = 10.0  # seconds, the entity bomb and the zip bomb together
MEMORY_BUDGET = 256 * MiB  # peak traced memory of either


# =========================================================================== zip surgery
@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> bytes:
    """The bytes of a valid HIV workbook."""
    path = tmp_path_factory.mktemp("valid") / "hiv.xlsx"
    write_input_workbook(path, tw.BUILD.hiv_chancellor())
    load_workbook(path)
    return path.read_bytes()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


class Entry:
    """One archive member as written: raw deflate stream, CRC and the size declared."""

    def __init__(self, name: str, stream: bytes, crc: int, size: int):
        self.name, self.stream, self.crc, self.size = name, stream, crc, size

    @classmethod
    def honest(cls, name: str, data: bytes) -> Entry:
        return cls(name, _deflate(data), zlib.crc32(data), len(data))


def _write_zip(path: Path, entries: list[Entry]) -> Path:
    """A zip archive written byte by byte, so that sizes can be declared at will."""
    out, central = bytearray(), bytearray()
    for e in entries:
        name = e.name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, e.crc,
                           len(e.stream), e.size, len(name), 0) + name + e.stream
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, e.crc,
                               len(e.stream), e.size, len(name), 0, 0, 0, 0, 0, offset) + name
    start = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                                 len(central), start, 0)
    path.write_bytes(bytes(out))
    return path


def _rezip(path: Path, valid: bytes, replace: dict[str, bytes | Entry]) -> Path:
    """The valid workbook with some parts replaced (or added)."""
    parts = _parts(valid)
    entries = []
    for name in [*parts, *(n for n in replace if n not in parts)]:
        new = replace.get(name, parts.get(name))
        entries.append(new if isinstance(new, Entry) else Entry.honest(name, new))
    return _write_zip(path, entries)


def _padded_stream(head: bytes, mib: int, fill: bytes = b" ",
                   block: int = MiB) -> tuple[bytes, int, int]:
    """A deflate stream of ``head`` then ``mib`` blocks (of a MiB) of ``fill``, made in
    milliseconds.

    After a full flush deflate starts afresh on a byte boundary, so one compressed
    block can be repeated. Returns (stream, crc, size).
    """
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
    data = fill * block
    again = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = again.compress(data) + again.flush(zlib.Z_FULL_FLUSH)
    end = again.flush()
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(data, crc)
    return start + segment * mib + end, crc, len(head) + mib * block


def test_padded_stream_is_what_it_says():
    stream, crc, size = _padded_stream(b"<x/>", 3)
    data = zlib.decompress(stream, -15)
    assert data == b"<x/>" + b" " * (3 * MiB)
    assert (zlib.crc32(data), len(data)) == (crc, size)


# =========================================================================== measuring
class Measured:
    def __init__(self, what: str, seconds: float, peak: int, rss: int, error):
        self.what, self.seconds, self.peak, self.rss, self.error = (what, seconds, peak, rss,
                                                                    error)

    def __str__(self) -> str:
        return (f"{self.what}: {self.seconds * 1000:.1f} ms, peak traced memory "
                f"{self.peak / MiB:.2f} MiB, peak RSS growth {self.rss / 1024:.1f} MiB")


def _measure(what: str, load: Callable[[], object]) -> Measured:
    """Call ``load``; time, peak traced memory and growth of the peak RSS (KiB on Linux)."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    error = None
    start = time.perf_counter()
    try:
        load()
    except InputError as e:
        error = e
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    if not tracing:
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    measured = Measured(what, seconds, peak, rss, error)
    print(f"\n  {measured}")
    return measured


def _refused(m: Measured, path: Path, fragment: str) -> None:
    assert m.error is not None, f"{m}: not refused"
    assert len(m.error.problems) == 1, m.error.problems
    line = m.error.problems[0]
    assert path.name in line.split(": ", 1)[0], line  # names the file
    assert fragment in line, line
    assert m.seconds < 2.0, str(m)
    assert m.peak < MEMORY_BUDGET, str(m)


# =========================================================================== entity attacks
def _laughs(levels: int = 9) -> str:
    """The billion laughs: entity lol9 expands to 10**9 'lol's (3 GB)."""
    declarations = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1))
    return f"<!DOCTYPE worksheet [{declarations}]>"


def _with_doctype(xml: bytes, doctype: str, reference: str | None, root: str) -> bytes:
    """``xml`` with ``doctype`` before its root element and ``reference`` in its first text."""
    text = xml.decode()
    i = text.index(f"<{root}")
    text = text[:i] + doctype + text[i:]
    if reference is not None:
        text = re.sub(r"<t>[^<]*</t>", f"<t>{reference}</t>", text, count=1)
    return text.encode()


SHARED_STRINGS_TYPE = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                       "sharedStrings+xml")
SST = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
       'uniqueCount="1"><si><t>hiv_chancellor</t></si></sst>')


def _shared_strings(valid: bytes, sst: bytes) -> dict[str, bytes]:
    """Parts that move the settings' model_name (B2) into a shared strings table ``sst``."""
    parts = _parts(valid)
    types = parts["[Content_Types].xml"].decode().replace(
        "</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                    f'ContentType="{SHARED_STRINGS_TYPE}"/></Types>')
    sheet = parts[SHEET].decode().replace(
        '<c r="B2" t="inlineStr"><is><t>hiv_chancellor</t></is></c>',
        '<c r="B2" t="s"><v>0</v></c>')
    assert '<c r="B2" t="s">' in sheet, "the settings sheet changed shape; update this test"
    return {"[Content_Types].xml": types.encode(), SHEET: sheet.encode(),
            "xl/sharedStrings.xml": sst}


XXE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_PARAMETER = ('<!DOCTYPE worksheet [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>')


def _entity_case(doctype: str, reference: str | None, part: str = SHEET):
    def make(valid: bytes) -> dict[str, bytes]:
        if part == "xl/sharedStrings.xml":
            sst = SST.replace("<t>hiv_chancellor</t>", f"<t>{reference or 'hiv_chancellor'}</t>")
            parts = _shared_strings(valid, sst.encode())
            parts[part] = _with_doctype(parts[part], doctype, None, "sst")
            return parts
        root = {SHEET: "worksheet", "xl/workbook.xml": "workbook",
                "docProps/core.xml": "cp:coreProperties"}[part]
        return {part: _with_doctype(_parts(valid)[part], doctype, reference, root)}
    return make


ENTITY_CASES = [
    ("billion laughs in a worksheet", _entity_case(_laughs(), "&lol9;")),
    ("billion laughs in shared strings", _entity_case(_laughs(), "&lol9;",
                                                      "xl/sharedStrings.xml")),
    ("billion laughs in workbook.xml", _entity_case(_laughs(), None, "xl/workbook.xml")),
    ("billion laughs in document properties", _entity_case(_laughs(), None,
                                                           "docProps/core.xml")),
    ("external entity (XXE) file:///etc/passwd", _entity_case(XXE, "&xxe;")),
    ("external parameter entity", _entity_case(XXE_PARAMETER, None)),
    ("quadratic blowup", _entity_case(f'<!DOCTYPE worksheet [<!ENTITY a "{"x" * 50_000}">]>',
                                      "&a;" * 2000)),
]


def test_shared_strings_control_loads(tmp_path, valid):
    """The shared-strings surgery alone gives a valid workbook (the attacks' control)."""
    path = _rezip(tmp_path / "sst.xlsx", valid, _shared_strings(valid, SST.encode()))
    assert load_workbook(path).settings.model_name == "hiv_chancellor"


@pytest.mark.parametrize("make", [pytest.param(c[1], id=c[0]) for c in ENTITY_CASES])
def test_entity_attack_is_refused_before_parsing(tmp_path, valid, make):
    path = _rezip(tmp_path / "entities.xlsx", valid, make(valid))
    m = _measure(path.name, lambda: load_workbook(path))
    _refused(m, path, "declares an XML document type or entities")
    assert "root:" not in str(m.error)  # nothing of /etc/passwd


# A DOCTYPE placed after 4 KiB of comment or processing instruction, or encoded in UTF-16,
# is not seen by safety.py's look at the first 4096 bytes of each part; the parser
# (openpyxl through defusedxml) refuses it then, with a generic "cannot be read" message.
def _late_doctype(prefix: bytes, encoding: str = "utf-8"):
    def make(valid: bytes) -> dict[str, bytes]:
        xml = _with_doctype(_parts(valid)[SHEET], _laughs(), "&lol9;", "worksheet").decode()
        text = f'<?xml version="1.0" encoding="{encoding}"?>' + prefix.decode() + xml
        return {SHEET: ("\ufeff" + text).encode("utf-16-le") if encoding == "UTF-16"
                else text.encode()}
    return make


LATE_DOCTYPES = [
    ("after a 5 KB comment", _late_doctype(b"<!--" + b"x" * 5000 + b"-->")),
    ("after a 5 KB processing instruction", _late_doctype(b"<?pad " + b"y" * 5000 + b"?>")),
    ("in UTF-16", _late_doctype(b"", "UTF-16")),
]


def _controls_of_late_doctypes(valid: bytes) -> dict[str, dict[str, bytes]]:
    parts = _parts(valid)
    head = '<?xml version="1.0" encoding="{}"?>'
    return {
        "after a 5 KB comment": {SHEET: (head.format("utf-8") + "<!--" + "x" * 5000 + "-->")
                                 .encode() + parts[SHEET]},
        "in UTF-16": {SHEET: ("\ufeff" + head.format("UTF-16") + parts[SHEET].decode())
                      .encode("utf-16-le")},
    }


def test_late_doctype_controls_load(tmp_path, valid):
    for name, replace in _controls_of_late_doctypes(valid).items():
        path = _rezip(tmp_path / f"{name}.xlsx", valid, replace)
        assert load_workbook(path).settings.model_name == "hiv_chancellor", name


@pytest.mark.parametrize("make", [pytest.param(c[1], id=c[0]) for c in LATE_DOCTYPES])
def test_late_doctype_is_refused(tmp_path, valid, make):
    path = _rezip(tmp_path / "late.xlsx", valid, make(valid))
    m = _measure(path.name, lambda: load_workbook(path))
    _refused(m, path, ".xlsx")


@pytest.mark.parametrize("make", [pytest.param(c[1], id=c[0]) for c in LATE_DOCTYPES])
def test_late_doctype_is_refused_before_parsing(tmp_path, valid, make):
    path = _rezip(tmp_path / "late.xlsx", valid, make(valid))
    m = _measure(path.name, lambda: load_workbook(path))
    _refused(m, path, "declares an XML document type or entities")


# =========================================================================== zip bombs
def _bomb(mib: int, part: str = SHEET, block: int = MiB):
    """``part`` followed by ``mib`` MiB of spaces (valid XML), sizes declared honestly."""
    def make(valid: bytes) -> dict[str, Entry]:
        stream, crc, size = _padded_stream(_parts(valid)[part], mib, block=block)
        return {part: Entry(part, stream, crc, size)}
    return make


def _declared(size: int):
    """A small part whose central directory declares ``size`` bytes."""
    def make(valid: bytes) -> dict[str, Entry]:
        data = _parts(valid)["docProps/app.xml"]
        return {"docProps/app.xml": Entry("docProps/app.xml", _deflate(data), zlib.crc32(data),
                                          size)}
    return make


def _many_members(valid: bytes) -> dict[str, bytes]:
    return {f"xl/media/pad{i}.bin": b"" for i in range(MAX_MEMBERS + 1)}


ZIP_CASES = [
    ("600 MiB of spaces in a worksheet", _bomb(600), "would unpack to 600 MiB"),
    ("100 MiB of spaces: ratio", _bomb(100), "such ratios are refused (a zip bomb?)"),
    ("declared size 3 GiB", _declared(3 * 2**30), "would unpack to 3072 MiB"),
    ("more parts than allowed", _many_members, f"at most {MAX_MEMBERS} are accepted"),
]


@pytest.mark.parametrize("make, fragment", [pytest.param(*c[1:], id=c[0]) for c in ZIP_CASES])
def test_zip_bomb_is_refused_before_parsing(tmp_path, valid, make, fragment):
    path = _rezip(tmp_path / "bomb.xlsx", valid, make(valid))
    assert path.stat().st_size < 2 * MiB
    m = _measure(path.name, lambda: load_workbook(path))
    _refused(m, path, fragment)


def test_a_bomb_control_loads(tmp_path, valid):
    """960 KiB of padding (under the 1 MiB floor of the ratio check) is a valid workbook."""
    path = _rezip(tmp_path / "padded.xlsx", valid, _bomb(15, block=64 * 1024)(valid))
    assert load_workbook(path).settings.model_name == "hiv_chancellor"


def test_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as handle:  # sparse: nothing is written to disk
        handle.write(b"PK\x03\x04")
        handle.truncate(MAX_FILE_BYTES + 1)
    m = _measure(path.name, lambda: load_workbook(path))
    _refused(m, path, "input workbooks up to 50 MiB are read")
    assert m.peak < MiB, str(m)


def _lying(mib: int):
    """docProps/core.xml declares its true size and CRC, but its deflate stream goes on:
    ``mib`` MiB of zeros after the real content, which a whole-member read inflates."""
    def make(valid: bytes) -> dict[str, Entry]:
        name = "docProps/core.xml"
        data = _parts(valid)[name]
        stream, _, _ = _padded_stream(data, mib, b"\0")
        return {name: Entry(name, stream, zlib.crc32(data), len(data))}
    return make


def test_lying_sizes_control(tmp_path, valid):
    """The lying stream really inflates that much (so the next test means what it says)."""
    path = _rezip(tmp_path / "lying.xlsx", valid, _lying(4)(valid))
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("docProps/core.xml")
        assert info.file_size < 1000 and info.compress_size > 4000
        with archive.open(info) as handle:
            handle.read(4096)  # what safety.py reads: bounded
    assert len(zlib.decompress(_lying(4)(valid)["docProps/core.xml"].stream, -15)) > 4 * MiB


def test_lying_sizes_are_refused(tmp_path, valid):
    path = _rezip(tmp_path / "lying.xlsx", valid, _lying(64)(valid))
    assert path.stat().st_size < MiB
    m = _measure(path.name, lambda: load_workbook(path))
    assert m.error is not None, f"{m}: a 64 MiB inflation hidden behind a declared 459 bytes " \
                                "was not refused"
    assert m.peak < 16 * MiB, str(m)


# =========================================================================== budget
def test_entity_bomb_and_zip_bomb_together_within_budget(tmp_path, valid):
    """The two classic attacks: refused in well under 10 s and 256 MiB together."""
    laughs = _rezip(tmp_path / "laughs.xlsx", valid, ENTITY_CASES[0][1](valid))
    bomb = _rezip(tmp_path / "bomb.xlsx", valid, _bomb(600)(valid))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    measured = [_measure("billion laughs", lambda: load_workbook(laughs)),
                _measure("600 MiB zip bomb", lambda: load_workbook(bomb))]
    total = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    report = "; ".join(map(str, measured)) + (f"; together {total * 1000:.1f} ms, peak RSS "
                                              f"growth {rss / 1024:.1f} MiB")
    print(f"\n  {report}")
    assert all(m.error is not None for m in measured), report
    assert total < TIME_BUDGET, report
    assert max(m.peak for m in measured) < MEMORY_BUDGET, report


# =========================================================================== code in cells
PAYLOADS = [
    ("os.system echo", "__import__('os').system('echo pwned')"),
    ("os.system touch", "__import__('os').system('touch {marker}')"),
    ("open a file", "open('{marker}', 'w').write('x')"),
    ("dunder walk", "().__class__.__bases__[0].__subclasses__()"),
    ("eval", "eval(\"__import__('os').system('touch {marker}')\")"),
    ("lambda", "(lambda: __import__('os'))()"),
    ("comprehension", "[x for x in (1, 2)]"),
    ("string literal", "'pwned'"),
    ("subscript", "c_b[0]"),
    ("keyword argument", "exp(x=1)"),
    ("walrus", "(y := 1)"),
]
PLACES = [
    ("parameter value", lambda d, v: tw.put(d["parameters"], "c_a", "value", v),
     "parameters!B3"),
    ("state cost", lambda d, v: tw.put(d["states"], "A", "cost_medical", v), "states!E2"),
    ("transition", lambda d, v: tw.put(d["transitions"], ("A", "B"), "monotherapy", v),
     "transitions!C3"),
    ("strategy override", lambda d, v: tw.put(d["strategies"], "combination", "c_lami_arm", v),
     "strategies!C3"),
]


@pytest.mark.parametrize("place, ref", [pytest.param(*p[1:], id=p[0]) for p in PLACES])
@pytest.mark.parametrize("payload", [pytest.param(p[1], id=p[0]) for p in PAYLOADS])
def test_code_in_a_cell_is_refused_and_never_runs(tmp_path, capfd, payload, place, ref):
    marker = tmp_path / "pwned"
    sheets = tw.BUILD.hiv_chancellor()
    place(sheets, payload.format(marker=marker))
    path = write_input_workbook(tmp_path / "model.xlsx", sheets)
    for argv in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "out")]):
        status = main(argv)
        captured = capfd.readouterr()  # file-descriptor level: catches a child's echo too
        assert status == 2, captured
        assert "Traceback" not in captured.err
        assert "pwned" not in captured.out, "a command in a cell ran"
        assert not marker.exists(), "a command in a cell ran"
        lines = [line.strip() for line in captured.err.splitlines()[1:]]
        assert any(line.startswith(f"{ref}: ") for line in lines), captured.err
        assert not (tmp_path / "out").exists()


# =========================================================================== huge texts
# openpyxl cuts text to 32,767 characters when a cell is assigned, so a workbook is written
# with a placeholder that zip surgery then replaces by a megabyte of random letters (random,
# so that the part compresses like text and not like a zip bomb).
PLACEHOLDER = "bigtextplaceholder"
BIG = "".join(random.Random(8).choices(string.ascii_lowercase, k=MiB))
_RNG = random.Random(9)
BIG_EXPRESSION = "+".join(str(_RNG.randrange(10**6)) for _ in range(MiB // 7))


def _big_workbook(tmp_path: Path, change: Callable[[dict], None], big: str = BIG) -> Path:
    sheets = tw.BUILD.hiv_chancellor()
    change(sheets)
    seed = write_input_workbook(tmp_path / "seed.xlsx", sheets)
    data = seed.read_bytes()
    marker = PLACEHOLDER.encode()
    replace = {name: part.replace(marker, big.encode())
               for name, part in _parts(data).items() if marker in part}
    assert replace, "the placeholder is not in the workbook"
    return _rezip(tmp_path / "model.xlsx", data, replace)


def _rename_state(sheets: dict, old: str, new: str) -> None:
    for row in sheets["states"][1:]:
        row[0] = new if row[0] == old else row[0]
    for row in sheets["transitions"][1:]:
        row[:2] = [new if v == old else v for v in row[:2]]


def _rename_strategy(sheets: dict, old: str, new: str) -> None:
    for row in sheets["strategies"][1:]:
        row[0] = new if row[0] == old else row[0]
    header = sheets["transitions"][0]
    header[header.index(old)] = new


BIG_TEXTS = [
    ("parameter description",
     lambda d: tw.put(d["parameters"], "c_a", "description", PLACEHOLDER)),
    ("parameter source", lambda d: tw.put(d["parameters"], "rr", "source", PLACEHOLDER)),
    ("state description", lambda d: tw.put(d["states"], "A", "description", PLACEHOLDER)),
    ("strategy description",
     lambda d: tw.put(d["strategies"], "combination", "description", PLACEHOLDER)),
    ("setting description",
     lambda d: tw.put(d["settings"], "model_name", "description", PLACEHOLDER)),
    ("currency", lambda d: tw.put(d["settings"], "currency", "value", PLACEHOLDER)),
    ("state name", lambda d: _rename_state(d, "A", PLACEHOLDER)),
    ("strategy name", lambda d: _rename_strategy(d, "combination", PLACEHOLDER)),
]
EXCEL_CELL_LIMIT = 32_767  # characters a spreadsheet cell can hold


def test_big_text_surgery_gives_a_megabyte_cell(tmp_path):
    """The surgery really plants a 1 MB cell; the reader refuses it, naming the cell."""
    path = _big_workbook(tmp_path, BIG_TEXTS[0][1])
    with pytest.raises(InputError, match=r"parameters!D3: text of 1,048,576 characters"):
        load_workbook(path)


@pytest.mark.parametrize("change", [pytest.param(c[1], id=c[0]) for c in BIG_TEXTS])
def test_megabyte_text_cell_does_not_crash(tmp_path, capsys, change):
    """A 1 MB text cell anywhere is refused with one short line per cell, no traceback, and
    no results file."""
    path = _big_workbook(tmp_path, change)
    out = tmp_path / "out"
    start = time.perf_counter()
    for argv in (["validate", str(path)], ["run", str(path), "--out", str(out)]):
        status = main(argv)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert status == 2 and "characters; cells hold at most 5,000" in captured.err
        assert max(map(len, captured.err.splitlines())) < 2000
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert not out.exists() or not any(out.iterdir())


def test_megabyte_state_name_is_refused_at_its_cell(tmp_path, capsys):
    path = _big_workbook(tmp_path, dict(BIG_TEXTS)["state name"])
    status = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert status == 2 and "  states!A2: " in err


BIG_REFUSED = [
    ("1 MB parameter value", lambda d: tw.put(d["parameters"], "c_a", "value", PLACEHOLDER),
     BIG, "parameters!B3"),
    ("1 MB expression", lambda d: tw.put(d["parameters"], "c_a", "value", PLACEHOLDER),
     BIG_EXPRESSION, "parameters!B3"),
    ("1 MB transition cell",
     lambda d: tw.put(d["transitions"], ("A", "B"), "monotherapy", PLACEHOLDER), BIG,
     "transitions!C3"),
    ("1 MB state cost", lambda d: tw.put(d["states"], "B", "cost_medical", PLACEHOLDER),
     BIG_EXPRESSION, "states!E3"),
]


@pytest.mark.parametrize("change, big, ref", [pytest.param(*c[1:], id=c[0])
                                              for c in BIG_REFUSED])
def test_megabyte_value_is_refused_at_its_cell(tmp_path, capsys, change, big, ref):
    path = _big_workbook(tmp_path, change, big)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"  {ref}: " in err


def test_megabyte_value_gives_a_readable_line(tmp_path, capsys):
    path = _big_workbook(tmp_path, BIG_REFUSED[0][1])
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert max(map(len, lines)) < 2000, f"longest line {max(map(len, lines))} characters"


def test_long_model_name_is_an_input_problem(tmp_path, capsys):
    sheets = tw.BUILD.hiv_chancellor()
    tw.put(sheets["settings"], "model_name", "value", "m" * 300)
    path = write_input_workbook(tmp_path / "model.xlsx", sheets)
    status = main(["run", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "settings!B2" in err
