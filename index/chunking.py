"""What gets embedded for a clause: its text in chunks, each with a short
context of the section it sits in ("儿童与健康 主要目标：…"), and, for a
clause of several sentences, each sentence on its own as well.

A clause's dense score is the best of its passages (``index.vectors``), so a
question that matches one sentence of a long article ("两岁半能上幼儿园吗" →
"鼓励和支持有条件的幼儿园招收2—3岁幼儿") is not diluted by the rest of it.

Pure functions; the parameters are recorded in the manifest so a change
forces re-embedding rather than silently mixing recipes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.model import Clause, Document
from ingest.text import strip_numbering

CHUNK_SIZE = 300
CHUNK_OVERLAP = 40
SEPARATORS: tuple[str, ...] = ("\n\n", "\n", "。", "；", "，", "")
CONTEXT_MAX_CHARS = 24
# Sentences of a multi-sentence clause are embedded on their own too; pieces
# shorter than this ("（一）", "具体包括：") say nothing alone and are left to the chunk.
SENTENCE_MIN_CHARS = 8
# A clause embeds at most this many sentences (the chunks still cover all of it).
SENTENCES_PER_CLAUSE = 64
_SENTENCE_END = re.compile(r"(?<=[。；！？!?;\n])")
# Bump when passage_text changes what it returns. 2: headings are cleaned by
# ingest.text.strip_numbering (第一部分 loses all of its number, 2.5岁 keeps its).
# 3: sentences of multi-sentence clauses are passages too.
CHUNKING_VERSION = 3

# Headings that say what kind of list follows, not what it is about.
GENERIC_HEADINGS: frozenset[str] = frozenset(
    {
        "主要目标",
        "策略措施",
        "重点任务",
        "发展目标",
        "目标",
        "措施",
        "主要任务",
        "总体目标",
        "工作目标",
        "具体目标",
        "指导思想",
        "基本原则",
        "总体要求",
        "组织实施",
        "保障措施",
        "监测评估",
        "附件",
        "附表",
    }
)


def section_context(section_path: list[str]) -> str:
    """A short label for where a clause sits: the last topical heading, plus the
    last heading when that one is generic ("主要目标"), ending in "：".
    Headings lose their numbering (:func:`ingest.text.strip_numbering`).

    ["一、…", "（一）儿童与健康", "主要目标"] → "儿童与健康 主要目标：". Empty when
    the path holds nothing usable.
    """
    cleaned = [c for c in (strip_numbering(h) for h in section_path) if c]
    if not cleaned:
        return ""
    last = cleaned[-1]
    if last in GENERIC_HEADINGS:
        topic = next((c for c in reversed(cleaned[:-1]) if c not in GENERIC_HEADINGS), "")
        parts = [topic[:CONTEXT_MAX_CHARS], last] if topic else [last]
    else:
        parts = [last[:CONTEXT_MAX_CHARS]]
    return " ".join(parts) + "："


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=list(SEPARATORS),
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        keep_separator="end",  # "。" stays with the sentence it ends
        strip_whitespace=True,
    )


def split_text(
    text: str, chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP
) -> list[str]:
    """Split ``text`` into chunks of at most ~``chunk_size`` characters on
    Chinese sentence boundaries; text that fits is one chunk. Never empty."""
    text = text.strip()
    if len(text) <= chunk_size:
        return [text]
    chunks = [c for c in _splitter(chunk_size, chunk_overlap).split_text(text) if c.strip()]
    return chunks or [text]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (ending in 。；！？ or a line break) of at least
    SENTENCE_MIN_CHARS characters, at most SENTENCES_PER_CLAUSE of them; empty
    when the text is one sentence."""
    pieces = [p.strip() for p in _SENTENCE_END.split(text)]
    pieces = [p for p in pieces if p]
    if len(pieces) < 2:
        return []
    return [p for p in pieces if len(p) >= SENTENCE_MIN_CHARS][:SENTENCES_PER_CLAUSE]


def passage_text(clause: Clause, document: Document, sentences: bool = True) -> list[str]:
    """The strings embedded for ``clause``: each chunk, then (with
    ``sentences``) each sentence of a multi-sentence clause, prefixed with its
    section context. At least one string, even for an empty clause text; no
    string twice."""
    context = section_context(clause.section_path)
    if not clause.text.strip():
        return [context or document.title]
    chunks = split_text(clause.text)
    passages = [context + chunk for chunk in chunks]
    if not sentences:
        return passages
    seen = set(chunks)
    for sentence in split_sentences(clause.text):
        if sentence not in seen:
            seen.add(sentence)
            passages.append(context + sentence)
    return passages


def chunking_params(sentences: bool = True) -> dict[str, object]:
    """The recipe, as recorded in a manifest (``sentences``: whether sentences
    are passages too; the setting ``sentence_passages``)."""
    return {
        "version": CHUNKING_VERSION,
        "chunk_size": CHUNK_SIZE,
        "chunk_overlap": CHUNK_OVERLAP,
        "separators": list(SEPARATORS),
        "context": "section_context",
        "sentences": {"min_chars": SENTENCE_MIN_CHARS, "per_clause": SENTENCES_PER_CLAUSE} if sentences else None,
    }
