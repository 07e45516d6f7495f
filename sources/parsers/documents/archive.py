"""Read a DOCX or ODT package (a ZIP archive) without trusting what it says about itself.

A few kilobytes of ZIP can declare, or really inflate to, gigabytes (a decompression bomb).
Before anything is inflated the archive's directory is checked: how many members it has, the
total size they declare, and how far each one would inflate compared with its stored size.
Then every member is inflated once, a megabyte at a time and thrown away, to prove it holds
what it declares: zipfile's one-call ``read()`` (which python-docx uses) would otherwise
inflate a member that lies about its size up to a thousand times its stored bytes, in memory,
before noticing. After that check, what the directory allows is what memory sees.
"""

from __future__ import annotations

import io
import struct
import zipfile

from monitor.errors import ParseError

MAX_MEMBERS = 5_000
MAX_UNPACKED = 200_000_000  # bytes, all members together
# XML compresses about 5 to 50 times (very repetitive tables more); a member that inflates
# more than this, and to more than 10 MB, is a bomb (deflate tops out near 1,000), not a
# document.
MAX_RATIO = 500
_RATIO_FLOOR = 10_000_000
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def open_package(content: bytes) -> zipfile.ZipFile:
    """The archive, after its directory was checked; ParseError naming what is wrong."""
    _check_member_count(content)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ParseError(f"the document is damaged: not a readable ZIP package ({exc})") from exc
    _check_sizes(archive)
    for info in archive.infolist():
        _inflate(archive, info)
    return archive


def package_kind(archive: zipfile.ZipFile) -> str:
    """ "docx" or "odt"; ParseError for another kind of package (XLSX, PPTX, ODS, plain ZIP)."""
    names = set(archive.namelist())
    if "word/document.xml" in names:
        return "docx"
    if "mimetype" in names and read_member(archive, "mimetype").strip() == ODT_MIMETYPE:
        return "odt"
    if "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
        raise ParseError(
            "a spreadsheet or presentation (XLSX/PPTX), not a text document;"
            " lexwatch reads PDF, DOCX and ODT"
        )
    if "mimetype" in names:
        kind = read_member(archive, "mimetype")[:80].decode("ascii", "replace")
        raise ParseError(f"an OpenDocument file of type {kind!r}, not a text document (ODT)")
    raise ParseError(
        "a ZIP archive that is neither a Word (DOCX) nor an OpenDocument (ODT) text document"
    )


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes (never more than it declares); ParseError if missing or broken."""
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise ParseError(f"the document is damaged: its package has no {name}") from exc
    return b"".join(_inflate(archive, info, keep=True))


_CHUNK = 1 << 20


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, keep: bool = False) -> list[bytes]:
    """Inflate one member a chunk at a time (its CRC checked at the end); the chunks if kept."""
    chunks: list[bytes] = []
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                if keep:
                    chunks.append(chunk)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:  # RuntimeError: encrypted member
        raise ParseError(
            f"the document is damaged: {info.filename} cannot be unpacked ({exc})"
        ) from exc
    return chunks


def _check_member_count(content: bytes) -> None:
    """Count the members from the end-of-directory record, before zipfile lists them all."""
    at = content.rfind(_EOCD, max(0, len(content) - 65_536 - _EOCD_SIZE))
    if at < 0 or at + _EOCD_SIZE > len(content):
        raise ParseError("the document is damaged: its ZIP package has no directory (cut short?)")
    (entries,) = struct.unpack_from("<H", content, at + 10)
    if entries > MAX_MEMBERS:
        raise ParseError(
            f"the document's package holds {entries:,} files, over the limit of"
            f" {MAX_MEMBERS:,}: not a document lexwatch reads"
        )


def _check_sizes(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ParseError(
            f"the document's package holds {len(infos):,} files, over the limit"
            f" of {MAX_MEMBERS:,}: not a document lexwatch reads"
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED:
        raise ParseError(
            f"decompression bomb: the document's package would unpack to"
            f" {total / 1e6:,.0f} MB, over the limit of {MAX_UNPACKED / 1e6:,.0f}"
            " MB; nothing was unpacked"
        )
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ParseError(
                f"decompression bomb: {info.filename} would inflate from"
                f" {info.compress_size:,} to {info.file_size:,} bytes (over {MAX_RATIO} times);"
                " nothing was unpacked"
            )
