"""Events as a spreadsheet for auditors: CSV and XLSX, one row per event, the same columns.

Scraped text is untrusted, and a spreadsheet runs what looks like a formula: a text cell that
starts with ``= + - @`` (or a tab or carriage return, which some programs skip before one) is
neutralised. In CSV it gets a leading apostrophe (OWASP's advice: Excel and LibreOffice then
show it as text); in XLSX every text cell is stored as text with Excel's "quote prefix" set
on those, so the cell shows its text exactly and stays text when edited.

CSV is UTF-8 with a byte order mark: Excel opens a CSV without one in the machine's legacy
code page and garbles "é" and "ü" (EU titles); Python (``encoding="utf-8-sig"``), pandas and
LibreOffice read the mark as such. Times are UTC, ISO 8601 in CSV and date cells in XLSX.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from storage.event_browse import NOBODY, EventQuery
from storage.exports import ExportedChange, ExportedEvent

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCERPT = 300  # characters of each evidence sentence
CELL_LIMIT = 32_000  # Excel keeps at most 32,767 characters in a cell

COLUMNS = (
    "Event",
    "Title",
    "Category",
    "Severity",
    "State",
    "Assignee",
    "Action due",
    "First detected (UTC)",
    "Last detected (UTC)",
    "Sources",
    "Source count",
    "Change count",
    "Summary",
    "Document URL",
    "Evidence excerpts",
    "Event page",
    "Evidence pack",
    "Changes",
    "Raw responses",
    "Raw response SHA-256",
)
# XLSX column widths (characters), in COLUMNS' order.
WIDTHS = (8, 50, 22, 9, 10, 14, 11, 19, 19, 24, 8, 8, 50, 40, 70, 36, 50, 36, 45, 66)

Cell = str | int | date | datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Links:
    """Absolute links under the dashboard's base URL; relative paths when it is unknown."""

    base: str = ""

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path


def event_cells(item: ExportedEvent, links: Links) -> list[Cell]:
    """One event's row, in COLUMNS' order."""
    event = item.event
    bodies = _bodies(item.changes, links)
    return [
        event.id,
        event.title,
        event.category,
        event.severity,
        event.state,
        event.assignee,
        event.action_due,
        event.first_detected_at,
        event.last_detected_at,
        "\n".join(item.sources),
        event.source_count or len(item.sources),
        event.change_count or len(item.changes),
        event.summary,
        event.url,
        _excerpts(item.changes),
        links.url(f"/events/{event.id}"),
        links.url(f"/api/v1/events/{event.id}/evidence-pack"),
        "\n".join(links.url(f"/changes/{change.id}") for change in item.changes),
        "\n".join(url for url, _ in bodies),
        "\n".join(digest for _, digest in bodies),
    ]


def _excerpts(changes: Sequence[ExportedChange]) -> str:
    """Each evidence sentence once, "source: sentence", cut to EXCERPT characters."""
    lines = dict.fromkeys(
        f"{change.source_key}: {_cut(' '.join(sentence.split()), EXCERPT)}"
        for change in changes
        for sentence in change.evidence
        if sentence.strip()
    )
    return "\n".join(lines)


def _bodies(changes: Sequence[ExportedChange], links: Links) -> list[tuple[str, str]]:
    """(download URL, SHA-256) of each stored raw response, once per body."""
    found: dict[str, str] = {}
    for change in changes:
        if change.old_body is not None:
            found.setdefault(change.old_body.hash, f"/changes/{change.id}/raw/previous")
        if change.new_body is not None:
            found.setdefault(change.new_body.hash, f"/changes/{change.id}/raw")
    return [(links.url(path), digest) for digest, path in found.items()]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def neutralised(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# -- CSV ------------------------------------------------------------------------------------------


def csv_chunks(batches: Iterable[Sequence[ExportedEvent]], links: Links) -> Iterator[bytes]:
    """The CSV file in pieces (the header, then one piece per batch): for a streamed answer."""
    yield (BOM + _csv_text([list(COLUMNS)])).encode()
    for batch in batches:
        yield _csv_text([event_cells(item, links) for item in batch]).encode()


def write_csv(batches: Iterable[Sequence[ExportedEvent]], links: Links, out: IO[bytes]) -> int:
    """Write the CSV file to ``out``; returns how many events it holds."""
    count = 0

    def counted() -> Iterator[Sequence[ExportedEvent]]:
        nonlocal count
        for batch in batches:
            count += len(batch)
            yield batch

    for chunk in csv_chunks(counted(), links):
        out.write(chunk)
    return count


def _csv_text(rows: Sequence[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralised(value)


# -- XLSX -----------------------------------------------------------------------------------------

# Characters XML 1.0 cannot hold (openpyxl refuses them): scraped text may carry some.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_xlsx(
    batches: Iterable[Sequence[ExportedEvent]],
    links: Links,
    out: IO[bytes],
    *,
    about: Sequence[tuple[str, str]] = (),
) -> int:
    """Write the workbook to ``out`` (rows streamed to disk as they come: openpyxl's
    write-only mode); an "Export" sheet lists ``about`` (the filters, when, by whom).
    Returns how many events it holds."""
    from openpyxl import Workbook  # only exports need it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Events")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.append(_header(sheet))
    count = 0
    for batch in batches:
        for item in batch:
            sheet.append([_xlsx_cell(sheet, value) for value in event_cells(item, links)])
            count += 1
    sheet.auto_filter.ref = f"A1:{_column_letter(len(COLUMNS) - 1)}{count + 1}"
    _about_sheet(book, about)
    book.save(out)
    return count


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _header(sheet: Any) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.astimezone(UTC).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if not isinstance(value, str):
        return value
    text = _cut(_NOT_XML.sub("", value), CELL_LIMIT)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    cell.quotePrefix = text.startswith(FORMULA_STARTS)
    if "\n" in text:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _about_sheet(book: Any, about: Sequence[tuple[str, str]]) -> None:
    sheet = book.create_sheet("Export")
    for name, value in about:
        sheet.append([_xlsx_cell(sheet, name), _xlsx_cell(sheet, value)])


def describe(where: EventQuery) -> list[tuple[str, str]]:
    """The filters of an export, for its "Export" sheet."""
    changes = where.changes
    values = [
        ("state", ", ".join(where.states) or None),
        ("assignee", "(nobody)" if where.assignee == NOBODY else where.assignee),
        ("source", changes.source),
        ("tag", changes.tag),
        ("category", changes.category),
        ("severity", changes.severity),
        ("text", changes.text),
        ("last detected from (UTC)", _csv_cell(changes.since) if changes.since else None),
        ("last detected before (UTC)", _csv_cell(changes.until) if changes.until else None),
        ("noise", "included" if changes.include_noise else None),
    ]
    return [(name, value) for name, value in values if value is not None]
