"""Readers: turn a source file into text, whatever its encoding.

Readers are registered by file suffix with :func:`register_reader`:
``.txt``/``.md`` here, ``.docx``, ``.pdf`` and ``.html``/``.htm`` in
:mod:`ingest.formats`.  Every reader returns the text with ``\\n`` line
ends; for plain text, line ``n`` of the returned text is line ``n`` of the
source as an editor shows it; for the other formats the lines are those of
the extracted text (one per paragraph, table cell or PDF text line).

Public API::

    read_document(path) -> ReadResult(text, warnings)  # warnings: pages without text …
    read_text(path) -> str                             # read_document(path).text
    ReadError(path, reason)                            # unreadable, corrupt, unsupported
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ReadResult:
    """The text of a file plus what a person should know about its reading
    (e.g. "page 3 has no text layer (scanned?); its content is missing")."""

    text: str
    warnings: list[str] = field(default_factory=list)


Reader = Callable[[Path], "str | ReadResult"]

_READERS: dict[str, Reader] = {}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Control characters that never occur in a text document (tab/newline/CR excluded).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class ReadError(Exception):
    """A file could not be read as text (undecodable, unsupported, unreadable)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"cannot read {self.path}: {reason}")


def register_reader(*suffixes: str) -> Callable[[Reader], Reader]:
    """Register ``func`` as the reader for the given suffixes (e.g. ``".txt"``)."""

    def decorator(func: Reader) -> Reader:
        for suffix in suffixes:
            _READERS[suffix.lower()] = func
        return func

    return decorator


def supported_suffixes() -> frozenset[str]:
    """The file suffixes (lower case, with dot) that have a reader."""
    return frozenset(_READERS)


def is_supported(path: Path) -> bool:
    """True when ``path``'s suffix has a registered reader."""
    return path.suffix.lower() in _READERS


def read_document(path: Path | str) -> ReadResult:
    """Read ``path`` with the reader registered for its suffix.

    Returns the text (``\\n`` line ends) and warnings about content that
    could not be read (a scanned PDF page).  Raises :class:`ReadError` when
    the suffix is unsupported, the file is missing, empty of any text layer,
    corrupt, encrypted or cannot be decoded; its message names the file and
    the reason.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ReadError(
            path,
            f"unsupported file type {path.suffix or '(none)'!r}; "
            f"supported: {', '.join(sorted(_READERS))}",
        )
    if not path.is_file():
        raise ReadError(path, "no such file" if not path.exists() else "not a regular file")
    result = reader(path)
    if isinstance(result, str):
        result = ReadResult(result)
    text = _normalise_newlines(result.text).replace("\x00", "")
    return ReadResult(text, list(result.warnings))


def read_text(path: Path | str) -> str:
    """The text of ``path`` (see :func:`read_document`; warnings dropped)."""
    return read_document(path).text


def _cjk_share(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _CJK.match(c)) / len(chars)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Order: a BOM (UTF-8, UTF-32, UTF-16) decides; else strict UTF-8; else
    GB18030 when it decodes cleanly into mostly Chinese text (preferred over
    charset-normalizer guesses such as big5/cp949 that also "fit"); else the
    best charset-normalizer guess.  Raises ``ValueError`` when nothing fits.
    """
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ValueError(f"starts with a {encoding} byte-order mark but {exc}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
        if text and _cjk_share(text) >= 0.3 and not _CONTROL.search(text):
            return text, "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ValueError("the encoding could not be detected (binary file?)")
    return str(best), best.encoding


@register_reader(".txt", ".md", ".markdown", ".text")
def read_plain(path: Path) -> str:
    """Read a plain-text or Markdown file, detecting its encoding."""
    data = read_bytes(path)
    if not data:
        raise ReadError(path, "the file is empty (0 bytes)")
    try:
        text, _encoding = decode_bytes(data)
    except ValueError as exc:
        raise ReadError(path, str(exc)) from exc
    text = _normalise_newlines(text)
    if len(_CONTROL.findall(text)) > max(8, len(text) // 1000):
        raise ReadError(path, "looks like a binary file, not text")
    return text


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; :class:`ReadError` when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReadError(path, exc.strerror or str(exc)) from exc


# The other formats register themselves on import (their libraries load lazily).
import ingest.formats  # noqa: E402,F401
