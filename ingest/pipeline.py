"""The ingest pipeline: files -> :class:`ParsedDocument` objects.

Public API::

    load_catalog(path) -> dict[str, list[dict]]   # source file name -> catalog entries
    discover_files(paths) -> list[Path]            # supported files, sorted
    parse_file(path, catalog, base_dir=None) -> list[ParsedDocument]

A source file may hold several plans (the Xiqu notice holds two); each
becomes its own document.  Catalog entries win over detected metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.clean import Line, clean_lines, squash
from ingest.metadata import (
    SUBJECT_SLUGS,
    DetectedMetadata,
    detect_metadata,
    find_title_lines,
    header_span,
    slugify,
)
from ingest.model import Document, Jurisdiction, ParsedDocument
from ingest.readers import is_supported, read_text
from ingest.structure import ITEM_RE, ends_sentence, heading_level, parse_structure

CATALOG_NAME = "catalog.json"

Catalog = dict[str, list[dict[str, Any]]]


def load_catalog(path: Path) -> Catalog:
    """Read ``catalog.json``; return its entries keyed by source file name.

    The value is the list of catalog entries for that source, in catalog
    order (a source can hold several plans).  Each entry is the raw dict:
    ``id, source, title, subject, jurisdiction{name, level, province,
    parent}, period, status, issued, doc_number, title_printed``.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = data.get("documents", data) if isinstance(data, dict) else data
    catalog: Catalog = {}
    for entry in entries:
        catalog.setdefault(entry["source"], []).append(entry)
    return catalog


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """Files with a registered reader under ``paths`` (files or folders,
    recursive), sorted, without ``catalog.json`` and hidden files/folders."""
    found: set[Path] = set()
    for path in paths:
        path = Path(path)
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for candidate in candidates:
            rel = candidate.relative_to(path) if candidate != path else Path(candidate.name)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if candidate.name == CATALOG_NAME or not is_supported(candidate):
                continue
            found.add(candidate)
    return sorted(found)


def _title_core(text: str) -> str:
    return re.split(r"[（(]", squash(text).replace("**", ""), maxsplit=1)[0]


def _plan_starts(
    lines: list[Line], entries: list[dict[str, Any]]
) -> list[tuple[int | None, dict[str, Any] | None]]:
    """(title line index or None, catalog entry or None) for each plan, in order."""
    titles = find_title_lines(lines)
    if len(entries) > 1:
        found: list[tuple[int | None, dict[str, Any] | None]] = []
        used: set[int] = set()
        for entry in entries:
            core = _title_core(entry.get("title", ""))
            index = next(
                (i for i in titles if i not in used and _title_core(lines[i].text) == core), None
            )
            if index is None:
                index = next(
                    (
                        i
                        for i in titles
                        if i not in used and entry.get("subject", "") in lines[i].text
                    ),
                    None,
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


def _cover_lines(lines: list[Line], start: int, end: int) -> list[int]:
    """Indexes of cover lines (issuer, date …) between a plan's header and body."""
    out = []
    for i in range(start, end):
        line = lines[i]
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


def _document(
    entry: dict[str, Any] | None,
    meta: DetectedMetadata,
    doc_id: str,
    source_file: str,
    source_hash: str,
    line_start: int,
    line_end: int,
) -> Document:
    if entry is not None:
        period = entry.get("period")
        jurisdiction = entry.get("jurisdiction")
        return Document(
            doc_id=entry["id"],
            title=entry.get("title") or meta.title or doc_id,
            subject=entry.get("subject", meta.subject),
            jurisdiction=Jurisdiction.from_dict(jurisdiction)
            if jurisdiction
            else meta.jurisdiction or Jurisdiction(name=""),
            period=(int(period[0]), int(period[1])) if period else meta.period,
            status=entry.get("status", meta.status),
            issued=entry.get("issued", meta.issued),
            doc_number=entry.get("doc_number", meta.doc_number),
            source_file=source_file,
            source_hash=source_hash,
            line_start=line_start,
            line_end=line_end,
            title_printed=bool(entry.get("title_printed", meta.title_line is not None)),
        )
    return Document(
        doc_id=doc_id,
        title=meta.title or Path(source_file).stem,
        subject=meta.subject,
        jurisdiction=meta.jurisdiction or Jurisdiction(name=""),
        period=meta.period,
        status=meta.status or "正式",
        issued=meta.issued,
        doc_number=meta.doc_number,
        source_file=source_file,
        source_hash=source_hash,
        line_start=line_start,
        line_end=line_end,
        title_printed=meta.title_line is not None,
    )


def parse_file(
    path: Path, catalog: Catalog | None, base_dir: Path | None = None
) -> list[ParsedDocument]:
    """Read, clean, split and parse one source file.

    Returns one :class:`ParsedDocument` per plan in the file, in file order
    (an empty list when the file holds no text to make clauses of).
    ``source_file`` is ``path`` relative to ``base_dir`` (POSIX), else the
    file name; ``source_hash`` is the sha256 of the file's bytes.  Text
    printed before the first plan title (an issuing notice) and cover lines
    after a title are used for metadata only.  Raises
    :class:`ingest.readers.ReadError` when the file cannot be read.
    """
    path = Path(path)
    text = read_text(path)
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
    lines = clean_lines(text)
    plans = _plan_starts(lines, entries)
    preamble_end = plans[0][0] if plans[0][0] is not None else 0
    preamble = lines[:preamble_end]
    results: list[ParsedDocument] = []
    for k, (title_index, entry) in enumerate(plans):
        start = title_index if title_index is not None else 0
        next_start = plans[k + 1][0] if k + 1 < len(plans) else None
        end = next_start if next_start is not None else len(lines)
        excluded: set[int] = set()
        body_from = start
        if title_index is not None:
            span = header_span(lines, title_index)
            excluded.update(span)
            body_from = span[-1] + 1
        cover = _cover_lines(lines, body_from, end) if title_index is not None else []
        excluded.update(cover)
        body = [lines[i] for i in range(body_from, end) if i not in excluded]
        body_text = "\n".join(line.text for line in body)
        meta = detect_metadata(lines, title_index, preamble + [lines[i] for i in cover], body_text)
        doc_id = entry["id"] if entry else _derived_id(path, meta, k, len(plans) > 1)
        content = [line.no for line in body if line.text and not line.boilerplate]
        line_start = lines[start].no if title_index is not None else (content[0] if content else 1)
        line_end = content[-1] if content else line_start
        clauses = parse_structure(body, doc_id, source_file)
        document = _document(entry, meta, doc_id, source_file, source_hash, line_start, line_end)
        if clauses:  # a "plan" with no text at all (an empty file) is no document
            results.append(ParsedDocument(document=document, clauses=clauses))
    return results


def parse_paths(paths: Iterable[Path], catalog: Catalog | None = None) -> list[ParsedDocument]:
    """Parse every supported file under ``paths``; a folder is its files' base dir."""
    out: list[ParsedDocument] = []
    for root in paths:
        root = Path(root)
        base = root if root.is_dir() else root.parent
        for file in discover_files([root]):
            out.extend(parse_file(file, catalog, base_dir=base))
    return out
