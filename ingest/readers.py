"""Readers: turn a source file into blocks, whatever its format and encoding.

Readers are registered by file suffix with :func:`register_reader`:
``.txt``/``.md`` here, ``.docx``, ``.pdf`` and ``.html``/``.htm`` in
:mod:`ingest.formats`.  Every reader returns :class:`ingest.blocks.Block`
objects in reading order -- headings (with the level the source gives),
paragraphs, and tables with their cells -- rather than imitating a text
file.  Plain text and Markdown are decoded and cut into blocks by the one
heuristic builder, :func:`ingest.blocks.text_blocks`: block ``n`` is line
``n`` of the source as an editor shows it.  The other formats take the
structure their source declares; their line numbers count the extracted
units (paragraphs, table cells, PDF text lines) in reading order, so
:func:`ingest.blocks.render_text` of the blocks gives the flattened text the
readers used to return (tables one tab-led line per cell, a blank line after
each row), and a citation's line range locates the clause there.

Public API::

    read_document(path) -> ReadResult(blocks, warnings)  # warnings: pages without text …
    ReadResult.text                                      # render_text(blocks)
    read_text(path) -> str                               # read_document(path).text
    ReadError(path, reason)                              # unreadable, corrupt, unsupported

A reader function takes the path and returns ``list[Block]`` or a
:class:`ReadResult` (when it has warnings).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest import limits
from ingest.blocks import Block, Cell, render_text, text_blocks


@dataclass
class ReadResult:
    """The blocks of a file plus what a person should know about its reading
    (e.g. "page 3 has no text layer (scanned?); its content is missing")."""

    blocks: list[Block]
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The blocks as text (:func:`ingest.blocks.render_text`), for callers
        that want a string: one line per line number, ``\\n`` line ends."""
        return render_text(self.blocks)


Reader = Callable[[Path], "list[Block] | ReadResult"]

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


class LimitExceeded(ReadError):
    """A file is over one of the limits of :mod:`ingest.limits` (too big, too
    many pages, a zip bomb …); ``setting`` names the limit."""

    def __init__(self, path: Path | str, reason: str, setting: str) -> None:
        self.setting = setting
        super().__init__(path, f"{reason} (limit: setting {setting})")


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

    Returns the blocks (see the module docstring; NUL characters removed,
    ``\\r\\n``/``\\r`` turned into ``\\n`` in their text) and warnings about
    content that could not be read (a scanned PDF page).  Raises :class:`ReadError` when
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
    if not isinstance(result, ReadResult):
        result = ReadResult(result)
    return ReadResult([_clean_block(b) for b in result.blocks], list(result.warnings))


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


def _clean(text: str) -> str:
    return _normalise_newlines(text).replace("\x00", "")


def _clean_block(block: Block) -> Block:
    """``block`` with NUL characters removed and newlines normalised in its
    text, raw form and cells (the block itself when there is nothing to do)."""
    texts = [block.text, block.raw, *(cell.text for row in block.rows for cell in row)]
    if not any("\x00" in t or "\r" in t for t in texts):
        return block
    return replace(
        block,
        text=_clean(block.text),
        raw=_clean(block.raw),
        rows=[[Cell(_clean(cell.text), cell.line) for cell in row] for row in block.rows],
    )


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Order: a BOM (UTF-8, UTF-32, UTF-16) decides; else strict UTF-8; else
    UTF-8 and GB18030 line by line when the file mixes the two (encoding
    ``"utf-8+gb18030"``); else
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
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed, "utf-8+gb18030"
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


def _decode_mixed(data: bytes) -> str | None:
    """A file pasted together from UTF-8 and GB18030 (GBK) parts, each line
    decoded on its own: a line that is valid UTF-8 holding Chinese as UTF-8,
    any other as GB18030.  None unless both kinds of line occur and every
    line decodes cleanly (GBK bytes that happen to be valid UTF-8 decode to
    no Chinese characters, so a GBK file is not taken for a mixed one)."""
    if b"\x00" in data:
        return None
    lines: list[str] = []
    utf8 = legacy = 0
    for raw in data.split(b"\n"):
        if raw.isascii():
            lines.append(raw.decode("ascii"))
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = ""
        if line and _CJK.search(line):
            utf8 += 1
        else:
            try:
                line = raw.decode("gb18030")
            except UnicodeDecodeError:
                return None
            if _CONTROL.search(line):
                return None
            legacy += 1
        lines.append(line)
    return "\n".join(lines) if utf8 and legacy else None


@register_reader(".txt", ".md", ".markdown", ".text")
def read_plain(path: Path) -> list[Block]:
    """Read a plain-text or Markdown file, detecting its encoding, as one
    block per source line (:func:`ingest.blocks.text_blocks`: ``#`` headings,
    pipe tables, HTML comments blanked)."""
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
    return text_blocks(text.replace("\x00", ""))


def check_size(path: Path) -> int:
    """The size of ``path`` in bytes; :class:`LimitExceeded` when it is over
    the ``max_file_mb`` limit (checked before anything is read)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(path, exc.strerror or str(exc)) from exc
    _refuse_size(path, size)
    return size


def _refuse_size(path: Path, size: int) -> None:
    limit = limits.current().max_file_bytes
    if size > limit:
        raise LimitExceeded(path, f"the file is {limits.over(size, limit)}", "max_file_mb")


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; :class:`ReadError` when it cannot be read,
    :class:`LimitExceeded` when it is over the ``max_file_mb`` limit (its
    size is checked first, and no more than the limit is ever read, should
    the file grow meanwhile)."""
    check_size(path)
    limit = limits.current().max_file_bytes
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ReadError(path, exc.strerror or str(exc)) from exc
    _refuse_size(path, len(data))
    return data


# The other formats register themselves on import (their libraries load lazily).
import ingest.formats  # noqa: E402,F401
