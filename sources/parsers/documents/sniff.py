"""What kind of document some bytes are, from the bytes themselves (their magic numbers).

A server's content type and a URL's extension are hints that are often wrong
(``application/octet-stream``, ``download?id=118119``); the first bytes are not.
"""

from __future__ import annotations

from monitor.errors import ParseError

_PDF = b"%PDF-"
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .doc, .xls, encrypted OOXML
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")


def sniff(content: bytes, content_type: str = "") -> str:
    """ "pdf" or "zip" (a DOCX or ODT package, told apart once it is opened); ParseError
    naming what the bytes are otherwise."""
    # The PDF header may follow a little junk (some servers prepend a BOM or a blank line).
    if _PDF in content[:1024]:
        return "pdf"
    if content.startswith(_ZIP):
        return "zip"
    if content.startswith(_OLE2):
        if _ENCRYPTED_OOXML in content:
            raise ParseError(
                "the Word document is encrypted: it needs a password to open,"
                " so lexwatch cannot read its text"
            )
        raise ParseError(
            "an old binary Office file (.doc, .xls or .ppt); lexwatch reads PDF,"
            " DOCX and ODT: ask for or watch the PDF or DOCX version"
        )
    served = f"served as {content_type}" if content_type else "served without a content type"
    start = content[:24].decode("latin-1").encode("unicode_escape").decode("ascii")
    raise ParseError(f"not a PDF, DOCX or ODT document ({served}; it starts with {start!r})")
