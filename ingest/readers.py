"""Readers: turn a source file into text, whatever its encoding.

Readers are registered by file suffix (``.txt``, ``.md`` now); a reader for
``.docx``/``.pdf``/``.html`` is added with :func:`register_reader`.  Every
reader returns the text with ``\\n`` line ends, so that line ``n`` of the
returned text is line ``n`` of the source as an editor shows it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

Reader = Callable[[Path], str]

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


def read_text(path: Path | str) -> str:
    """Read ``path`` with the reader registered for its suffix.

    Returns text with ``\\n`` line ends.  Raises :class:`ReadError` when the
    suffix is unsupported, the file is unreadable or cannot be decoded.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ReadError(
            path,
            f"unsupported file type {path.suffix or '(none)'!r}; "
            f"supported: {', '.join(sorted(_READERS))}",
        )
    return reader(path)


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
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(path, exc.strerror or str(exc)) from exc
    try:
        text, _encoding = decode_bytes(data)
    except ValueError as exc:
        raise ReadError(path, str(exc)) from exc
    text = _normalise_newlines(text)
    if len(_CONTROL.findall(text)) > max(8, len(text) // 1000):
        raise ReadError(path, "looks like a binary file, not text")
    return text
