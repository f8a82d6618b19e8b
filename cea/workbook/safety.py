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

from cea.model.problems import InputError

MAX_FILE_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 250 * 2**20
MAX_MEMBERS = 2_000
MAX_RATIO = 200


def check_archive(path: Path) -> bytes:
    """Return the file's bytes if it is a plausible, bounded .xlsx archive.

    Raises
    ------
    cea.model.problems.InputError
        Naming the file and what is wrong with it.
    """
    def fail(message: str):
        raise InputError([f"{path}: {message}"])

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
        if m.compress_size > m.file_size * 1.01 + 1024:  # deflate never grows data so much
            fail(f"part {m.filename} holds {m.compress_size:,} compressed bytes for "
                 f"{m.file_size:,} declared; such files are refused (a zip bomb?)")
        if m.compress_size and m.file_size / m.compress_size > MAX_RATIO and \
                m.file_size > 2**20:
            fail(f"part {m.filename} compresses {m.file_size / m.compress_size:.0f}:1; such "
                 "ratios are refused (a zip bomb?)")


#: Markers of a document type declaration, in the encodings XML parsers accept.
_DECLARATIONS = tuple(word.encode(codec) for word in ("<!DOCTYPE", "<!ENTITY", "<!doctype",
                                                       "<!entity")
                      for codec in ("ascii", "utf-16-le", "utf-16-be"))
_CHUNK = 2**20


def _check_xml(archive: zipfile.ZipFile, members, fail) -> None:
    """Inflate every part in bounded chunks: no part may inflate beyond its declared size
    (a lying central directory), and no XML part may declare a document type anywhere."""
    for m in members:
        is_xml = m.filename.endswith((".xml", ".rels", ".vml"))
        seen, tail = 0, b""
        with archive.open(m) as handle:
            while chunk := handle.read(_CHUNK):
                seen += len(chunk)
                if seen > m.file_size:
                    fail(f"part {m.filename} inflates beyond the {m.file_size} bytes its "
                         "archive declares; such files are refused (a zip bomb?)")
                window = tail + chunk
                if is_xml and any(word in window for word in _DECLARATIONS):
                    fail(f"part {m.filename} declares an XML document type or entities; "
                         "genuine workbooks never do, and such files are refused (entity "
                         "expansion attack?)")
                tail = window[-32:]
