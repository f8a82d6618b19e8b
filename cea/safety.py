"""Checks on an input file before any parser sees it.

Workbooks arrive from outside. Before openpyxl parses anything, the file must
exist, be an .xlsx (zip) archive, and declare sizes that cannot exhaust memory;
XML document type declarations (the vehicle of entity-expansion attacks) are
refused outright, since no genuine .xlsx part carries one.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

MAX_FILE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 250 * 2**20
MAX_MEMBERS = 2_000
MAX_RATIO = 200


def check_archive(path: Path) -> bytes:
    """Return the file's bytes if it is a plausible, bounded .xlsx archive.

    Raises
    ------
    cea.workbook.WorkbookError
        Naming the file and what is wrong with it.
    """
    from cea.workbook import WorkbookError

    def fail(message: str):
        raise WorkbookError([f"{path}: {message}"])

    if not path.exists():
        fail("no such file")
    if not path.is_file():
        fail("is not a file")
    size = path.stat().st_size
    if size == 0:
        fail("the file is empty; an .xlsx workbook is expected")
    if size > MAX_FILE_BYTES:
        fail(f"the file is {size / 2**20:.0f} MiB; input workbooks up to "
             f"{MAX_FILE_BYTES // 2**20} MiB are read")
    data = path.read_bytes()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        fail("is an old binary .xls (or encrypted) file; save it as .xlsx")
    if not data.startswith(b"PK\x03\x04"):
        fail("is not an .xlsx workbook (it is not a zip archive; a .csv or text file "
             "renamed .xlsx?); save it from a spreadsheet application as .xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile as e:
        fail(f"is a damaged archive ({e}); save it again as .xlsx")
    _check_sizes(members, fail)
    _check_xml(archive, members, fail)
    return data


def _check_sizes(members, fail) -> None:
    if len(members) > MAX_MEMBERS:
        fail(f"the archive holds {len(members)} parts; at most {MAX_MEMBERS} are accepted")
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        fail(f"the archive would unpack to {total / 2**20:.0f} MiB; at most "
             f"{MAX_UNPACKED_BYTES // 2**20} MiB is accepted (a zip bomb?)")
    for m in members:
        if m.compress_size and m.file_size / m.compress_size > MAX_RATIO and \
                m.file_size > 2**20:
            fail(f"part {m.filename} compresses {m.file_size / m.compress_size:.0f}:1; such "
                 "ratios are refused (a zip bomb?)")


def _check_xml(archive: zipfile.ZipFile, members, fail) -> None:
    for m in members:
        if not m.filename.endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(m) as handle:
            head = handle.read(4096)
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            fail(f"part {m.filename} declares an XML document type or entities; genuine "
                 "workbooks never do, and such files are refused (entity expansion attack?)")
