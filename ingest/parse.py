"""Files -> :class:`ParsedDocument` objects: read blocks, flag boilerplate,
find each document's title and front matter, detect its metadata and
profile, parse its structure.

Public API::

    load_catalog(path) -> dict[str, list[dict]]   # source file name -> catalog entries
    discover_files(paths) -> list[Path]            # supported files, sorted
    parse_file(path, catalog, base_dir=None) -> list[ParsedDocument]

A source file may hold several plans (the Xiqu notice holds two); each
becomes its own document.  Catalog entries win over detected metadata; a
catalog entry may name the parsing profile (``"profile": "law"``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ingest.blocks import Block
from ingest.clean import flag_boilerplate
from ingest.metadata import (
    SUBJECT_SLUGS,
    DetectedMetadata,
    detect_metadata,
    find_printed_title,
    find_title_lines,
    front_matter,
    header_span,
    slugify,
)
from ingest.model import Document, Jurisdiction, ParsedDocument
from ingest.profiles import PROFILE_NAMES, detect_doc_type, detect_profile, get_profile
from ingest.readers import is_supported, read_document
from ingest.structure import ITEM_RE, assign_clause_ids, heading_level, parse_structure
from ingest.text import ends_sentence, squash

CATALOG_NAME = "catalog.json"

Catalog = dict[str, list[dict[str, Any]]]

# Words by which a document refers to its own jurisdiction (本市 …), resolved
# to the jurisdiction's name in ``Clause.fields["self_reference"]``.
_SELF_REFERENCE = re.compile(r"本(?:市|省|区|县|自治区|自治州|自治县|自治旗|旗|特区|经济特区)")


def load_catalog(path: Path) -> Catalog:
    """Read ``catalog.json``; return its entries keyed by source file name.

    The value is the list of catalog entries for that source, in catalog
    order (a source can hold several plans).  Each entry is the raw dict:
    ``id, source, title, subject, jurisdiction{name, level, province,
    parent, code}, period, status, issued, doc_number, title_printed,
    doc_type, profile``.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = data.get("documents", data) if isinstance(data, dict) else data
    catalog: Catalog = {}
    for entry in entries:
        catalog.setdefault(entry["source"], []).append(entry)
    return catalog


def discover_files(paths: Iterable[Path], skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Files with a registered reader under ``paths`` (files or folders,
    recursive), sorted, without ``catalog.json``, hidden files/folders and
    symbolic links inside a folder (a link could make any readable file
    searchable); a file named in ``paths`` itself is taken as it is.

    ``skipped``, when given, receives ``(path, reason)`` for each link left
    out (one with a supported name, or to a folder) and each entry that could
    not be examined (a path too long to open, a folder that cannot be
    listed); hidden and unsupported files are left out without a word.  The
    walk neither recurses nor follows links, so no depth or link loop stops it."""

    def skip(path: Path, reason: str) -> None:
        if skipped is not None:
            skipped.append((path, reason))

    found: set[Path] = set()
    for root in paths:
        root = Path(root)
        try:
            root_is_file = root.is_file()
        except OSError as exc:
            skip(root, _os_reason(root, exc))
            continue
        if root_is_file:
            if root.name != CATALOG_NAME and is_supported(root):
                found.add(root)
            continue
        folders = [root]
        while folders:
            folder = folders.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as exc:
                skip(folder, _os_reason(folder, exc))
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = folder / entry.name
                try:
                    if entry.is_symlink():
                        if is_supported(path) or entry.is_dir():
                            skip(path, "a symbolic link: links inside a folder are not followed (one could make any file on the machine searchable)")
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(path)
                        continue
                    if not entry.is_file(follow_symlinks=False):  # a pipe, socket or device
                        continue
                except OSError as exc:
                    skip(path, _os_reason(path, exc))
                    continue
                if entry.name != CATALOG_NAME and is_supported(path):
                    found.add(path)
    return sorted(found)


def _os_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return f"its path is too long to open ({len(str(path)):,} characters)"
    return f"cannot be read ({exc.strerror or exc})"


def _title_core(text: str) -> str:
    return re.split(r"[（(]", squash(text).replace("**", ""), maxsplit=1)[0]


def _plan_starts(
    lines: list[Block], entries: list[dict[str, Any]]
) -> list[tuple[int | None, dict[str, Any] | None]]:
    """(plan title line index or None, catalog entry or None) for each plan, in order."""
    titles = find_title_lines(lines)
    if len(entries) > 1:
        found: list[tuple[int | None, dict[str, Any] | None]] = []
        used: set[int] = set()
        for entry in entries:
            core = _title_core(entry.get("title", ""))
            index = next((i for i in titles if i not in used and _title_core(lines[i].text) == core), None)
            if index is None:
                index = next(
                    (i for i in titles if i not in used and entry.get("subject", "") in lines[i].text), None
                )
            if index is not None:
                used.add(index)
            found.append((index, entry))
        if all(i is not None for i, _ in found):
            return sorted(found, key=lambda x: x[0] or 0)
        return [(titles[0] if titles else None, entries[0])]
    if entries:
        return [(titles[0] if titles else None, entries[0])]
    unique: list[int] = []
    seen: set[str] = set()
    for i in titles:
        key = squash(lines[i].text)
        if key not in seen:
            seen.add(key)
            unique.append(i)
    if not unique:
        return [(None, None)]
    return [(i, None) for i in unique]


def _cover_lines(lines: list[Block], start: int, end: int) -> list[int]:
    """Indexes of cover lines (issuer, date …) between a title and the body."""
    out = []
    for i in range(start, end):
        line = lines[i]
        if line.is_table or line.kind == "heading":
            break
        if line.blank or line.boilerplate:
            continue
        text = squash(line.text)
        if (
            line.tab_led
            or heading_level(text) is not None
            or ITEM_RE.match(text)
            or len(text) >= 40
            or ends_sentence(text)
            or "，" in text
        ):
            break
        out.append(i)
    return out


def _derived_id(path: Path, meta: DetectedMetadata, index: int, several: bool) -> str:
    base = slugify(path.stem)
    if not several:
        return base
    suffix = SUBJECT_SLUGS.get(meta.subject or "", "") or str(index + 1)
    return f"{base}-{suffix}"


def is_catalog_id(doc_id: str, source_file: str, catalog: Catalog | None) -> bool:
    """Whether a catalog entry of ``source_file`` gave the id ``doc_id``."""
    entries = (catalog or {}).get(source_file) or (catalog or {}).get(Path(source_file).name) or []
    return any(entry.get("id") == doc_id for entry in entries)


def disambiguated_id(doc_id: str, source_file: str) -> str:
    """A derived id made distinct by its file's path (two files whose names
    slug alike, e.g. 最高人民法院、最高人民检察院… and 最高人民法院  最高人民检察院…)."""
    digest = hashlib.sha1(source_file.encode("utf-8")).hexdigest()[:6]
    return f"{doc_id}-{digest}"


def with_doc_id(parsed: ParsedDocument, doc_id: str) -> ParsedDocument:
    """The same document under another id; its clauses' ids follow."""
    clauses = [replace(c, doc_id=doc_id, fields=dict(c.fields)) for c in parsed.clauses]
    assign_clause_ids(clauses, doc_id)
    return ParsedDocument(document=replace(parsed.document, doc_id=doc_id), clauses=clauses)


def _document(
    entry: dict[str, Any] | None,
    meta: DetectedMetadata,
    doc_id: str,
    profile: str,
    source_file: str,
    source_hash: str,
    line_start: int,
    line_end: int,
) -> Document:
    entry = entry or {}
    period = entry.get("period")
    jurisdiction = entry.get("jurisdiction")
    return Document(
        doc_id=doc_id,
        title=entry.get("title") or meta.title or doc_id,
        subject=entry.get("subject", meta.subject),
        jurisdiction=Jurisdiction.from_dict(jurisdiction) if jurisdiction else meta.jurisdiction,
        period=(int(period[0]), int(period[1])) if period else meta.period,
        status=entry.get("status", meta.status),
        issued=entry.get("issued", meta.issued),
        doc_number=entry.get("doc_number", meta.doc_number),
        source_file=source_file,
        source_hash=source_hash,
        line_start=line_start,
        line_end=line_end,
        title_printed=bool(entry.get("title_printed", meta.title_printed)),
        doc_type=entry.get("doc_type") or (detect_doc_type(entry["title"]) if entry.get("title") else meta.doc_type),
        profile=profile,
        issuer=entry.get("issuer", meta.issuer),
        version=entry.get("version", meta.version),
    )


def _profile_name(entry: dict[str, Any] | None, body: list[Block], title: str | None) -> str:
    named = (entry or {}).get("profile")
    if named:
        if named not in PROFILE_NAMES:
            raise ValueError(f"catalog names an unknown profile {named!r}; known: {', '.join(PROFILE_NAMES)}")
        return str(named)
    texts = [b.text for b in body if not b.is_table and not b.boilerplate and b.text]
    return detect_profile(texts, title).name


def parse_file(path: Path, catalog: Catalog | None, base_dir: Path | None = None) -> list[ParsedDocument]:
    """Read, clean, split and parse one source file.

    Returns one :class:`ParsedDocument` per document in the file, in file
    order (an empty list when the file holds no text to make clauses of, such
    as a law file with only its title and history).  ``source_file`` is
    ``path`` relative to ``base_dir`` (POSIX), else the file name;
    ``source_hash`` is the sha256 of the file's bytes.  Text printed before
    the first plan title (an issuing notice), the front matter and cover lines
    after a title are used for metadata only.  Raises
    :class:`ingest.readers.ReadError` when the file cannot be read.
    """
    path = Path(path)
    blocks = flag_boilerplate(read_document(path).blocks)
    source_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    if base_dir is not None:
        try:
            source_file = path.resolve().relative_to(Path(base_dir).resolve()).as_posix()
        except ValueError:
            source_file = path.name
    else:
        source_file = path.name
    catalog = catalog or {}
    entries = catalog.get(source_file) or catalog.get(path.name) or []
    plans = _plan_starts(blocks, entries)
    printed = None
    if plans[0][0] is None:
        printed = find_printed_title(blocks)
    # what is printed before the (first) title — an issuing notice, a web
    # page's navigation — is read for metadata only
    if plans[0][0] is not None:
        preamble_end = plans[0][0]
    else:
        preamble_end = printed[1][0] if printed is not None else 0
    preamble = blocks[:preamble_end]
    results: list[ParsedDocument] = []
    for k, (title_index, entry) in enumerate(plans):
        start = title_index if title_index is not None else preamble_end
        next_start = plans[k + 1][0] if k + 1 < len(plans) else None
        end = next_start if next_start is not None else len(blocks)
        excluded: set[int] = set()
        title: str | None = None
        title_line: int | None = None
        title_span: list[int] = []
        if title_index is not None:
            title_span = header_span(blocks, title_index)
            title = _plan_title(blocks, title_span)
        elif printed is not None:
            title, title_span = printed
        if title_span:
            title_line = blocks[title_span[0]].no
            excluded.update(title_span)
        body_from = (title_span[-1] + 1) if title_span else start
        front = front_matter(blocks, body_from, title)
        excluded.update(front)
        cover_from = (front[-1] + 1) if front else body_from
        cover = _cover_lines(blocks, cover_from, end) if title_span else []
        excluded.update(cover)
        body = [blocks[i] for i in range(body_from, end) if i not in excluded]
        headings = [b.text for b in body if b.kind == "heading" and b.text]
        meta = detect_metadata(
            title,
            title_printed=bool(title_span),
            front=[blocks[i].text for i in front] + [blocks[i].text for i in title_span[1:]],
            cover=[b.text for b in preamble if not b.boilerplate and b.text] + [blocks[i].text for i in cover],
            file_name=path.name,
            headings=headings,
            title_line=title_line,
            header_lines=[blocks[i].no for i in title_span],
        )
        profile_name = _profile_name(entry, body, (entry or {}).get("title") or title)
        doc_id = entry["id"] if entry else _derived_id(path, meta, k, len(plans) > 1)
        content = [b for b in body if (b.text or b.is_table) and not b.boilerplate]
        line_start = blocks[start].no if title_span else (content[0].no if content else 1)
        line_end = max((b.line_end for b in content), default=line_start)
        clauses = parse_structure(body, doc_id, source_file, get_profile(profile_name))
        document = _document(entry, meta, doc_id, profile_name, source_file, source_hash, line_start, line_end)
        if document.jurisdiction is not None:
            for clause in clauses:
                if _SELF_REFERENCE.search(clause.text):
                    clause.fields["self_reference"] = document.jurisdiction.name
        if clauses:  # a document with no text beyond its title is no document
            results.append(ParsedDocument(document=document, clauses=clauses))
    return results


def _plan_title(blocks: list[Block], span: list[int]) -> str:
    """A plan's title: the title line plus a subtitle period (and a 征求意见稿 status)."""
    from ingest.metadata import PERIOD_RE, STATUS_RE

    title = blocks[span[0]].text.strip()
    for i in span[1:]:
        sub = blocks[i].text.strip()
        if status_match := STATUS_RE.fullmatch(squash(sub)):
            if status_match.group(1) == "征求意见稿":
                title += sub
        elif not PERIOD_RE.search(title):
            title += sub
    return title


def parse_paths(paths: Iterable[Path], catalog: Catalog | None = None) -> list[ParsedDocument]:
    """Parse every supported file under ``paths``; a folder is its files' base dir."""
    out: list[ParsedDocument] = []
    for root in paths:
        root = Path(root)
        base = root if root.is_dir() else root.parent
        for file in discover_files([root]):
            out.extend(parse_file(file, catalog, base_dir=base))
    return out
