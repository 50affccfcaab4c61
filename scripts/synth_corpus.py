"""Synthetic plan corpus for scale benchmarks (never for quality numbers).

Makes ``factor`` perturbed copies of every real plan parsed from ``corpus/``:
each copy gets a real county or district from the list below (its name,
short name, parent city and province replace the original's throughout the
title and the clauses), numbers in targets and indicator rows change by up to
±15 % (years, item numbers and the shape of the number — decimals, full-width
digits — are kept), and narrative, measure and principle clauses lose one
middle phrase or gain a common policy phrase now and then.

Ids: documents get fresh ids (``syn-00042-zigong-children``); a clause id is
the document id plus the hash part of the real clause's id, so the same
``factor`` and ``seed`` always give the same ids.

    from scripts.synth_corpus import synthesize, write_txt
    docs = synthesize(10)                 # list[ParsedDocument], 10x the clauses
    write_txt(docs, Path("/tmp/synth"))   # one .txt per plan

    .venv/bin/python scripts/synth_corpus.py --factor 10 --out /tmp/synth
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from ingest.model import Clause, Document, Jurisdiction, ParsedDocument  # noqa: E402

DEFAULT_CORPUS = ROOT / "corpus"

# Real county-level divisions: (name, level, province, parent city or None).
JURISDICTIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("东城区", "市辖区", "北京市", "北京市"), ("西城区", "市辖区", "北京市", "北京市"),
    ("朝阳区", "市辖区", "北京市", "北京市"), ("海淀区", "市辖区", "北京市", "北京市"),
    ("丰台区", "市辖区", "北京市", "北京市"), ("昌平区", "市辖区", "北京市", "北京市"),
    ("密云区", "市辖区", "北京市", "北京市"), ("延庆区", "市辖区", "北京市", "北京市"),
    ("和平区", "市辖区", "天津市", "天津市"), ("滨海新区", "市辖区", "天津市", "天津市"),
    ("蓟州区", "市辖区", "天津市", "天津市"), ("武清区", "市辖区", "天津市", "天津市"),
    ("黄浦区", "市辖区", "上海市", "上海市"), ("徐汇区", "市辖区", "上海市", "上海市"),
    ("浦东新区", "市辖区", "上海市", "上海市"), ("闵行区", "市辖区", "上海市", "上海市"),
    ("崇明区", "市辖区", "上海市", "上海市"), ("嘉定区", "市辖区", "上海市", "上海市"),
    ("渝中区", "市辖区", "重庆市", "重庆市"), ("江北区", "市辖区", "重庆市", "重庆市"),
    ("沙坪坝区", "市辖区", "重庆市", "重庆市"), ("九龙坡区", "市辖区", "重庆市", "重庆市"),
    ("南岸区", "市辖区", "重庆市", "重庆市"), ("北碚区", "市辖区", "重庆市", "重庆市"),
    ("万州区", "市辖区", "重庆市", "重庆市"), ("涪陵区", "市辖区", "重庆市", "重庆市"),
    ("城口县", "县", "重庆市", "重庆市"), ("巫山县", "县", "重庆市", "重庆市"),
    ("正定县", "县", "河北省", "石家庄市"), ("平山县", "县", "河北省", "石家庄市"),
    ("迁安市", "县级市", "河北省", "唐山市"), ("涿州市", "县级市", "河北省", "保定市"),
    ("安新县", "县", "河北省", "保定市"), ("围场满族蒙古族自治县", "自治县", "河北省", "承德市"),
    ("小店区", "市辖区", "山西省", "太原市"), ("平遥县", "县", "山西省", "晋中市"),
    ("吉县", "县", "山西省", "临汾市"), ("洪洞县", "县", "山西省", "临汾市"),
    ("五台县", "县", "山西省", "忻州市"), ("壶关县", "县", "山西省", "长治市"),
    ("青山区", "市辖区", "内蒙古自治区", "包头市"), ("土默特右旗", "旗", "内蒙古自治区", "包头市"),
    ("准格尔旗", "旗", "内蒙古自治区", "鄂尔多斯市"), ("满洲里市", "县级市", "内蒙古自治区", "呼伦贝尔市"),
    ("和平区", "市辖区", "辽宁省", "沈阳市"), ("甘井子区", "市辖区", "辽宁省", "大连市"),
    ("庄河市", "县级市", "辽宁省", "大连市"), ("岫岩满族自治县", "自治县", "辽宁省", "鞍山市"),
    ("南关区", "市辖区", "吉林省", "长春市"), ("延吉市", "县级市", "吉林省", "延边朝鲜族自治州"),
    ("抚松县", "县", "吉林省", "白山市"), ("道里区", "市辖区", "黑龙江省", "哈尔滨市"),
    ("五常市", "县级市", "黑龙江省", "哈尔滨市"), ("漠河市", "县级市", "黑龙江省", "大兴安岭地区"),
    ("玄武区", "市辖区", "江苏省", "南京市"), ("江宁区", "市辖区", "江苏省", "南京市"),
    ("昆山市", "县级市", "江苏省", "苏州市"), ("江阴市", "县级市", "江苏省", "无锡市"),
    ("沭阳县", "县", "江苏省", "宿迁市"), ("如皋市", "县级市", "江苏省", "南通市"),
    ("西湖区", "市辖区", "浙江省", "杭州市"), ("余杭区", "市辖区", "浙江省", "杭州市"),
    ("义乌市", "县级市", "浙江省", "金华市"), ("安吉县", "县", "浙江省", "湖州市"),
    ("乐清市", "县级市", "浙江省", "温州市"), ("嵊泗县", "县", "浙江省", "舟山市"),
    ("蜀山区", "市辖区", "安徽省", "合肥市"), ("肥西县", "县", "安徽省", "合肥市"),
    ("歙县", "县", "安徽省", "黄山市"), ("金寨县", "县", "安徽省", "六安市"),
    ("鼓楼区", "市辖区", "福建省", "福州市"), ("晋江市", "县级市", "福建省", "泉州市"),
    ("思明区", "市辖区", "福建省", "厦门市"), ("武夷山市", "县级市", "福建省", "南平市"),
    ("东湖区", "市辖区", "江西省", "南昌市"), ("井冈山市", "县级市", "江西省", "吉安市"),
    ("婺源县", "县", "江西省", "上饶市"), ("瑞金市", "县级市", "江西省", "赣州市"),
    ("历下区", "市辖区", "山东省", "济南市"), ("市南区", "市辖区", "山东省", "青岛市"),
    ("寿光市", "县级市", "山东省", "潍坊市"), ("曲阜市", "县级市", "山东省", "济宁市"),
    ("荣成市", "县级市", "山东省", "威海市"), ("沂南县", "县", "山东省", "临沂市"),
    ("金水区", "市辖区", "河南省", "郑州市"), ("新郑市", "县级市", "河南省", "郑州市"),
    ("兰考县", "县", "河南省", "开封市"), ("林州市", "县级市", "河南省", "安阳市"),
    ("固始县", "县", "河南省", "信阳市"), ("江岸区", "市辖区", "湖北省", "武汉市"),
    ("洪山区", "市辖区", "湖北省", "武汉市"), ("恩施市", "县级市", "湖北省", "恩施土家族苗族自治州"),
    ("秭归县", "县", "湖北省", "宜昌市"), ("仙桃市", "县级市", "湖北省", None),
    ("岳麓区", "市辖区", "湖南省", "长沙市"), ("浏阳市", "县级市", "湖南省", "长沙市"),
    ("凤凰县", "县", "湖南省", "湘西土家族苗族自治州"), ("韶山市", "县级市", "湖南省", "湘潭市"),
    ("天河区", "市辖区", "广东省", "广州市"), ("越秀区", "市辖区", "广东省", "广州市"),
    ("南山区", "市辖区", "广东省", "深圳市"), ("顺德区", "市辖区", "广东省", "佛山市"),
    ("台山市", "县级市", "广东省", "江门市"), ("连南瑶族自治县", "自治县", "广东省", "清远市"),
    ("青秀区", "市辖区", "广西壮族自治区", "南宁市"), ("阳朔县", "县", "广西壮族自治区", "桂林市"),
    ("东兴市", "县级市", "广西壮族自治区", "防城港市"), ("三江侗族自治县", "自治县", "广西壮族自治区", "柳州市"),
    ("美兰区", "市辖区", "海南省", "海口市"), ("琼海市", "县级市", "海南省", None),
    ("锦江区", "市辖区", "四川省", "成都市"), ("武侯区", "市辖区", "四川省", "成都市"),
    ("郫都区", "市辖区", "四川省", "成都市"), ("都江堰市", "县级市", "四川省", "成都市"),
    ("仁和区", "市辖区", "四川省", "攀枝花市"), ("米易县", "县", "四川省", "攀枝花市"),
    ("富顺县", "县", "四川省", "自贡市"), ("荣县", "县", "四川省", "自贡市"),
    ("阆中市", "县级市", "四川省", "南充市"), ("九寨沟县", "县", "四川省", "阿坝藏族羌族自治州"),
    ("西昌市", "县级市", "四川省", "凉山彝族自治州"), ("江油市", "县级市", "四川省", "绵阳市"),
    ("南明区", "市辖区", "贵州省", "贵阳市"), ("赤水市", "县级市", "贵州省", "遵义市"),
    ("雷山县", "县", "贵州省", "黔东南苗族侗族自治州"), ("盘州市", "县级市", "贵州省", "六盘水市"),
    ("五华区", "市辖区", "云南省", "昆明市"), ("大理市", "县级市", "云南省", "大理白族自治州"),
    ("景洪市", "县级市", "云南省", "西双版纳傣族自治州"), ("腾冲市", "县级市", "云南省", "保山市"),
    ("城关区", "市辖区", "西藏自治区", "拉萨市"), ("桑珠孜区", "市辖区", "西藏自治区", "日喀则市"),
    ("雁塔区", "市辖区", "陕西省", "西安市"), ("临潼区", "市辖区", "陕西省", "西安市"),
    ("延川县", "县", "陕西省", "延安市"), ("韩城市", "县级市", "陕西省", "渭南市"),
    ("城关区", "市辖区", "甘肃省", "兰州市"), ("敦煌市", "县级市", "甘肃省", "酒泉市"),
    ("会宁县", "县", "甘肃省", "白银市"), ("城东区", "市辖区", "青海省", "西宁市"),
    ("格尔木市", "县级市", "青海省", "海西蒙古族藏族自治州"), ("兴庆区", "市辖区", "宁夏回族自治区", "银川市"),
    ("盐池县", "县", "宁夏回族自治区", "吴忠市"), ("天山区", "市辖区", "新疆维吾尔自治区", "乌鲁木齐市"),
    ("喀什市", "县级市", "新疆维吾尔自治区", "喀什地区"), ("伊宁市", "县级市", "新疆维吾尔自治区", "伊犁哈萨克自治州"),
    ("东港区", "市辖区", "山东省", "日照市"), ("九原区", "市辖区", "内蒙古自治区", "包头市"),
    ("东河区", "市辖区", "内蒙古自治区", "包头市"), ("大宁县", "县", "山西省", "临汾市"),
    ("綦江区", "市辖区", "重庆市", "重庆市"), ("巴南区", "市辖区", "重庆市", "重庆市"),
    ("沿滩区", "市辖区", "四川省", "自贡市"), ("贡井区", "市辖区", "四川省", "自贡市"),
    ("东区", "市辖区", "四川省", "攀枝花市"), ("盐边县", "县", "四川省", "攀枝花市"),
)

# Phrases that policy clauses commonly carry; inserted at a phrase boundary.
PHRASES: tuple[str, ...] = (
    "进一步", "切实", "按照国家和省有关要求，", "结合本地实际，", "加大财政投入力度，",
    "建立健全长效机制，", "强化部门协同，", "统筹城乡资源，", "坚持问题导向，",
    "充分发挥社会力量作用，", "加强督促检查，", "逐年提高保障水平，", "鼓励有条件的地区先行先试，",
)

# Share of clauses (other than indicator rows and targets whose values
# changed) that lose or gain a phrase: copies of a plan should not repeat
# most clauses word for word (identical texts get identical vectors).
PHRASE_RATE = 0.9

_NUMBER = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?")
_FULL = str.maketrans("０１２３４５６７８９．", "0123456789.")
_TO_FULL = str.maketrans("0123456789.", "０１２３４５６７８９．")
_ITEM_NUMBER = re.compile(r"^\s*[0-9０-９]+[.．、]")
_LEVEL_SUFFIX = ("自治县", "新区", "市", "区", "县", "旗")


@dataclass(frozen=True)
class _Place:
    name: str
    level: str
    province: str
    parent: str | None

    @property
    def short(self) -> str:
        return _short_name(self.name)


def _short_name(name: str) -> str:
    """大渡口区 → 大渡口; 荣县, 西区, 歙县 stay (a one-character stem is no name)."""
    for suffix in _LEVEL_SUFFIX:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _name_forms(jur: Jurisdiction) -> list[tuple[str, str]]:
    """(printed form, role) pairs of a real plan's jurisdiction, longest first.

    Roles: name, short, parent, parent_short, province."""
    forms: dict[str, str] = {}
    name = jur.name
    parent = jur.parent or ""
    if parent and name.startswith(parent) and len(name) > len(parent):  # 攀枝花市西区
        forms[name] = "name"
        forms[name[len(parent):]] = "name"
    else:
        forms[name] = "name"
        forms[_short_name(name)] = "short"
    if parent and parent != name:
        forms[parent] = "parent"
        if _short_name(parent) not in forms:
            forms[_short_name(parent)] = "parent_short"
    if jur.province and jur.province not in forms and jur.province != parent:
        forms[jur.province] = "province"
    # 我区/我县/本市 stay: they read correctly whatever the name
    return sorted(forms.items(), key=lambda item: -len(item[0]))


def _replacement(role: str, place: _Place) -> str:
    if role == "name":
        return place.name
    if role == "short":
        return place.short
    if role == "parent":
        return place.parent or place.province
    if role == "parent_short":
        return _short_name(place.parent or place.province)
    return place.province


class _Renamer:
    """Replaces every printed form of one real jurisdiction in one pass."""

    def __init__(self, jur: Jurisdiction) -> None:
        self.forms = _name_forms(jur)
        self.pattern = re.compile("|".join(re.escape(f) for f, _ in self.forms)) if self.forms else None
        self.roles = dict(self.forms)

    def __call__(self, text: str, place: _Place) -> str:
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(lambda m: _replacement(self.roles[m.group(0)], place), text)


def _perturb_number(token: str, rng: random.Random, percent: bool) -> str:
    full = any("０" <= ch <= "９" for ch in token)
    ascii_token = token.translate(_FULL)
    decimals = len(ascii_token.split(".")[1]) if "." in ascii_token else 0
    value = float(ascii_token)
    if value == 0:
        return token
    new = value * rng.uniform(0.85, 1.15)
    if percent and value < 100:  # a share stays a share: 96% may become 99%, never 103%
        new = min(new, 99.0 if decimals == 0 else 99.9)
    elif percent and value == 100:
        return token
    out = f"{new:.{decimals}f}" if decimals else str(max(1, round(new)))
    return out.translate(_TO_FULL) if full else out


_QUANTITY_BEFORE = ("＜", "<", "≤", "≥", ">", "＞", "=", "＝", "达到", "控制在", "保持在", "降至", "提高到", "不低于", "不高于", "低于", "高于")
_QUANTITY_AFTER = ("%", "％", "‰", "以上", "以下", "以内")


def _is_quantity(text: str, start: int, end: int) -> bool:
    """A target's value: after a comparator (≥, 控制在 …) or before %, ‰, 以上 ….
    Ages (5岁以下), row numbers, "/10万" and indicator names are not."""
    before = text[max(0, start - 3) : start]
    if before.endswith(("/", "／")) or text[end : end + 1] in ("岁", "个", "年", "万"):
        return False
    return before.endswith(_QUANTITY_BEFORE) or text[end:].startswith(_QUANTITY_AFTER)


def _perturb_numbers(text: str, rng: random.Random, mapping: dict[str, str]) -> str:
    """Change the values of a target or indicator clause (see ``_is_quantity``);
    years and item numbers stay. ``mapping`` collects old → new and is reused,
    so the same value changes the same way in the text and the fields."""
    skip_until = 0
    item = _ITEM_NUMBER.match(text)
    if item:
        skip_until = item.end()

    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if match.start() < skip_until or not _is_quantity(text, match.start(), match.end()):
            return token
        ascii_token = token.translate(_FULL)
        if len(ascii_token) == 4 and "." not in ascii_token and 1949 <= int(ascii_token) <= 2060:
            return token
        if token not in mapping:
            after = text[match.end() : match.end() + 1]
            mapping[token] = _perturb_number(token, rng, percent=after in ("%", "％"))
        return mapping[token]

    return _NUMBER.sub(sub, text)


def _perturb_phrases(text: str, rng: random.Random) -> str:
    """Drop one middle phrase of one sentence, or insert a common phrase;
    sentences ("。") are never merged or lost."""
    sentences = text.split("。")
    roll = rng.random()
    if roll < 0.4:
        droppable = [i for i, s in enumerate(sentences) if s.count("，") >= 3]
        if droppable:
            i = rng.choice(droppable)
            parts = sentences[i].split("，")
            j = rng.randrange(1, len(parts) - 1)
            # a phrase with a number (a year, a value) carries facts: keep it
            if len(parts[j]) <= 0.25 * len(text) and not _NUMBER.search(parts[j]):
                del parts[j]
                sentences[i] = "，".join(parts)
                return "。".join(sentences)
    # otherwise (or when nothing could be dropped) insert, after a "，" or at
    # the start of a sentence other than the first (which holds the item number)
    places = [(i, k) for i, s in enumerate(sentences) for k in range(1, s.count("，") + 1)]
    places += [(i, 0) for i, s in enumerate(sentences) if i and s.strip()]
    if not places:
        return text
    i, k = rng.choice(places)
    parts = sentences[i].split("，")
    phrase = rng.choice(PHRASES)
    if k == 0 and phrase.endswith("，"):
        phrase = phrase.rstrip("，") + "，"
    if not parts[k].startswith(phrase.rstrip("，")):
        parts[k] = phrase + parts[k]
    sentences[i] = "，".join(parts)
    return "。".join(sentences)


def load_base(corpus_dir: Path = DEFAULT_CORPUS) -> list[ParsedDocument]:
    """The real plans, parsed as ``policy-search ingest`` parses them."""
    from ingest.parse import discover_files, load_catalog, parse_file

    corpus_dir = Path(corpus_dir)
    catalog_path = corpus_dir / "catalog.json"
    catalog = load_catalog(catalog_path) if catalog_path.is_file() else None
    docs: list[ParsedDocument] = []
    for path in discover_files([corpus_dir]):
        docs.extend(parse_file(path, catalog, base_dir=corpus_dir))
    return docs


def _clause_suffix(clause: Clause) -> str:
    prefix = clause.doc_id + "-"
    return clause.clause_id[len(prefix):] if clause.clause_id.startswith(prefix) else clause.clause_id


def _render(document: Document, clauses: list[Clause]) -> tuple[str, list[Clause]]:
    """The plan as a plain .txt (title, headings as printed, one clause per
    line) and the clauses with line numbers in that text."""
    lines = [document.title, ""]
    placed: list[Clause] = []
    current: list[str] = []
    for clause in clauses:
        path = clause.section_path
        common = 0
        while common < min(len(path), len(current)) and path[common] == current[common]:
            common += 1
        for heading in path[common:]:
            lines.append(heading)
        current = list(path)
        lines.append(clause.text.replace("\n", " "))
        placed.append(replace(clause, line_start=len(lines), line_end=len(lines)))
    return "\n".join(lines) + "\n", placed


def synthesize_iter(
    factor: int,
    *,
    base: list[ParsedDocument] | None = None,
    corpus_dir: Path = DEFAULT_CORPUS,
    seed: int = 0,
) -> Iterator[tuple[ParsedDocument, ParsedDocument, str]]:
    """Yield (synthetic plan, the real plan it came from, its .txt rendering),
    ``factor`` copies of every real plan, one plan at a time (the rendering
    gives the clauses' line numbers and the source hash)."""
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor}")
    base = base if base is not None else load_base(corpus_dir)
    renamers = {p.document.doc_id: _Renamer(p.document.jurisdiction) for p in base}
    places = [_Place(*row) for row in JURISDICTIONS]
    for copy in range(factor):
        for item in base:
            doc = item.document
            rng = random.Random(f"{seed}:{copy}:{doc.doc_id}")
            place = places[(copy * len(base) + base.index(item) * 7 + rng.randrange(len(places))) % len(places)]
            rename = renamers[doc.doc_id]
            doc_id = f"syn-{copy:05d}-{doc.doc_id}"
            source_file = f"{doc_id}.txt"
            clauses: list[Clause] = []
            for clause in item.clauses:
                text = rename(clause.text, place)
                mapping: dict[str, str] = {}
                if clause.kind in ("target", "indicator"):
                    text = _perturb_numbers(text, rng, mapping)
                if not mapping and clause.kind != "indicator" and rng.random() < PHRASE_RATE:
                    text = _perturb_phrases(text, rng)
                fields = {k: rename(v, place) for k, v in clause.fields.items()}
                if mapping:
                    fields = {
                        k: _perturb_numbers(v, rng, mapping) if k in ("target_value", "baseline") else v
                        for k, v in fields.items()
                    }
                clauses.append(
                    replace(
                        clause,
                        clause_id=f"{doc_id}-{_clause_suffix(clause)}",
                        doc_id=doc_id,
                        section_path=[rename(h, place) for h in clause.section_path],
                        text=text,
                        source_file=source_file,
                        fields=fields,
                    )
                )
            jurisdiction = Jurisdiction(
                name=place.name, level=place.level, province=place.province, parent=place.parent
            )
            document = replace(
                doc,
                doc_id=doc_id,
                title=rename(doc.title, place),
                jurisdiction=jurisdiction,
                source_file=source_file,
                issued=None,
                doc_number=None,
                line_start=1,
            )
            rendered, clauses = _render(document, clauses)
            document = replace(
                document,
                source_hash=hashlib.sha256(rendered.encode("utf-8")).hexdigest(),
                line_end=rendered.count("\n"),
            )
            yield ParsedDocument(document=document, clauses=clauses), item, rendered


def synthesize(
    factor: int,
    *,
    base: list[ParsedDocument] | None = None,
    corpus_dir: Path = DEFAULT_CORPUS,
    seed: int = 0,
) -> list[ParsedDocument]:
    """``factor`` perturbed copies of every real plan: ``factor`` × the
    clauses of the real corpus, with fresh document ids and stable clause ids."""
    return [doc for doc, _, _ in synthesize_iter(factor, base=base, corpus_dir=corpus_dir, seed=seed)]


def write_txt(
    docs: list[ParsedDocument] | None,
    out_dir: Path,
    *,
    factor: int | None = None,
    seed: int = 0,
    corpus_dir: Path = DEFAULT_CORPUS,
) -> list[Path]:
    """Write each synthetic plan as ``out_dir/<doc_id>.txt`` (title, headings,
    one clause per line). Give ``docs`` from ``synthesize`` (re-rendered), or
    ``factor`` to generate and write without holding them all in memory."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if docs is None:
        if factor is None:
            raise ValueError("give docs or factor")
        for doc, _, rendered in synthesize_iter(factor, seed=seed, corpus_dir=corpus_dir):
            path = out_dir / doc.document.source_file
            path.write_text(rendered, encoding="utf-8")
            paths.append(path)
        return paths
    for doc in docs:
        rendered, _ = _render(doc.document, doc.clauses)
        path = out_dir / doc.document.source_file
        path.write_text(rendered, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=int, default=10, help="copies of every real plan (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, help="write one .txt per plan into this folder")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.out:
        paths = write_txt(None, args.out, factor=args.factor, seed=args.seed, corpus_dir=args.corpus)
        print(f"wrote {len(paths)} plans to {args.out} in {time.perf_counter() - began:.1f}s")
    else:
        docs = synthesize(args.factor, seed=args.seed, corpus_dir=args.corpus)
        n = sum(len(d.clauses) for d in docs)
        print(f"{len(docs)} plans, {n} clauses in {time.perf_counter() - began:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
