"""Optional fluent answers from an OpenAI-compatible chat endpoint.

Off by default. When configured (base URL, model, key), the model is given the
question and the cited clauses only, numbered, and must mark every sentence
with the number of the clause it rests on. Sentences that cite nothing, or a
number that was not given, are dropped, so the text never says more than the
clauses do.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from .errors import BadRequest
from .hits import Hit

SYSTEM_PROMPT = (
    "你是回答群众咨询的政策文件助理。只能依据用户给出的编号条款作答，不得补充条款以外的内容。"
    "每一句话末尾用方括号标注所依据条款的编号，例如[1]或[1][2]。"
    "如果条款没有回答这个问题，只回答：规划未作规定。"
)
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
_MARK = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class GenerationSettings:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)


@dataclass
class GeneratedSentence:
    text: str
    citations: list[str]  # clause ids


@dataclass
class GeneratedAnswer:
    text: str
    sentences: list[GeneratedSentence] = field(default_factory=list)
    model: str = ""
    dropped: int = 0  # sentences without a valid citation, removed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GenerationError(Exception):
    """The endpoint failed or answered something unusable."""


def build_messages(question: str, citations: list[Hit]) -> list[dict[str, str]]:
    numbered = "\n".join(f"[{i}] {hit.citation}：{hit.text}" for i, hit in enumerate(citations, 1))
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"问题：{question}\n\n条款：\n{numbered}"},
    ]


def parse_cited_sentences(text: str, citations: list[Hit]) -> GeneratedAnswer:
    """Keep the sentences that cite a given clause; map [n] to clause ids."""
    kept: list[GeneratedSentence] = []
    dropped = 0
    for match in _SENTENCE.finditer(text.strip()):
        sentence = match.group(0).strip()
        if not sentence:
            continue
        numbers = [int(n) for n in _MARK.findall(sentence)]
        ids = [citations[n - 1].clause_id for n in numbers if 1 <= n <= len(citations)]
        if not ids or len(ids) != len(numbers):
            dropped += 1
            continue
        kept.append(GeneratedSentence(text=sentence, citations=list(dict.fromkeys(ids))))
    return GeneratedAnswer(text="".join(s.text for s in kept), sentences=kept, dropped=dropped)


def generate_answer(question: str, citations: list[Hit], settings: GenerationSettings) -> GeneratedAnswer:
    """Ask the configured endpoint for a fluent answer grounded in ``citations``."""
    if not settings.enabled:
        raise BadRequest(
            "answer generation is not configured; set POLICY_SEARCH_LLM_BASE_URL and POLICY_SEARCH_LLM_MODEL"
        )
    if not citations:
        return GeneratedAnswer(text="", model=settings.model)
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    payload = {"model": settings.model, "messages": build_messages(question, citations), "temperature": 0}
    url = settings.base_url.rstrip("/") + "/chat/completions"
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=settings.timeout)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise GenerationError(f"the answer-generation endpoint failed: {exc}") from exc
    answer = parse_cited_sentences(str(content), citations)
    answer.model = settings.model
    return answer
