/* policy-search web page: one small script, no libraries.
 * The URL is the state: render() reads location and draws the view;
 * links and forms call navigate(), which pushes a history entry. */
"use strict";
(() => {
  const $ = (sel) => document.querySelector(sel);
  const view = $("#view");
  const statusEl = $("#status");
  const searchForm = $("#search-form");
  const compareForm = $("#compare-form");

  const KIND = {
    target: "主要目标", measure: "策略措施", indicator: "指标", principle: "基本原则", narrative: "叙述",
    article: "条文", row: "表格行",
  };
  /** Document types, in the order the 文件类型 filter lists them. */
  const DOC_TYPE = {
    plan: "规划", law: "法律", regulation: "法规（条例）", rule: "规章", judicial_interpretation: "司法解释",
    case: "案例", decision: "决定", notice: "通知", opinion: "意见", programme: "方案", document: "文件",
  };
  const NO_PLACE = "地区未知";
  const NATIONAL = "全国";
  const FILTERS = ["jurisdiction", "subject", "kind", "doc_type"];
  const GROUP = { "near-identical": "几乎相同", reworded: "改写表述", related: "相关条款" };
  const EXAMPLES = {
    search: ["防止儿童溺水", "儿童近视防控", "家庭教育指导服务", "妇女参与决策和管理"],
    ask: ["大渡口区婴儿死亡率的目标是多少？", "自贡市小学生近视率目标是多少？", "如何预防儿童溺水？"],
    compare: ["婴儿死亡率", "小学生近视率", "学前教育毛入园率", "5岁以下儿童死亡率"],
  };

  // ---- small helpers ----------------------------------------------------------------

  /** Build an element; children are nodes or text (never parsed as HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }
  const enc = encodeURIComponent;
  /** decodeURIComponent that never throws: null for a malformed escape such as "%E0". */
  function decode(s) {
    try { return decodeURIComponent(s); } catch (e) { return null; }
  }
  const docTypeName = (t) => (t ? DOC_TYPE[t] || t : "");
  /** A list value such as "law,regulation" in words. */
  const inWords = (value, map) => String(value).split(",").map((v) => map[v.trim()] || v.trim()).join("、");
  /** A jurisdiction (an object from /v1/documents or a name from a hit) in words; never blank. */
  const placeName = (j) => (j && typeof j === "object" ? j.name : j) || NO_PLACE;
  const docUrl = (docId, clauseId) => `/document/${enc(docId)}${clauseId ? `#c-${enc(clauseId)}` : ""}`;
  const link = (href, ...children) => h("a", { href, "data-nav": true }, ...children);
  const clauseUrl = (id, similar) => `/clause/${enc(id)}${similar ? "?similar=1" : ""}`;

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new Error("无法连接服务器：" + e.message);
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || `请求失败（HTTP ${res.status}）`);
      err.status = res.status;
      throw err;
    }
    if (data === null) throw new Error("服务器的回答无法解析");
    return data;
  }

  function setStatus(text, cls) {
    statusEl.textContent = text || "";
    statusEl.className = "status" + (cls ? " " + cls : "");
  }
  const errorBox = (msg) => h("div", { class: "error", role: "alert" }, msg);

  /** The clause text with highlight spans (code-point offsets) wrapped in <mark>. */
  function highlighted(text, highlights) {
    const chars = Array.from(text || "");
    const spans = (highlights || []).filter((s) => s && s.end > s.start).sort((a, b) => a.start - b.start);
    const out = [];
    let pos = 0;
    for (const s of spans) {
      const start = Math.max(s.start, pos);
      const end = Math.min(s.end, chars.length);
      if (end <= start) continue;
      if (start > pos) out.push(chars.slice(pos, start).join(""));
      const piece = chars.slice(start, end).join("");
      const last = out[out.length - 1];
      if (start === pos && last instanceof Node) last.append(piece);  // merge adjacent marks
      else out.push(h("mark", {}, piece));
      pos = end;
    }
    if (pos < chars.length) out.push(chars.slice(pos).join(""));
    return out;
  }

  /** The server's citation (the unit follows the document: 第N项 in plans, 第N条 in laws). */
  const serverCitation = (hit) => hit.citation || `《${hit.title || hit.doc_id || ""}》`;

  /** Badges: the place (地区未知 when unknown), the document type, the clause kind. Each says
   *  in words what it is (title for pointers), so nothing relies on colour. */
  function hitMeta(hit, extra) {
    const unknown = !hit.jurisdiction;
    return h("div", { class: "meta" },
      h("span", { class: "juris" + (unknown ? " unknown" : ""), title: "地区" }, placeName(hit.jurisdiction)),
      hit.doc_type && h("span", { class: "doctype", title: "文件类型" }, docTypeName(hit.doc_type)),
      hit.kind && h("span", { class: "kind", title: "条款类型" }, KIND[hit.kind] || hit.kind),
      extra);
  }

  function hitCard(hit) {
    return h("article", { class: "hit", "data-clause": hit.clause_id },
      hitMeta(hit),
      h("p", { class: "text" }, highlighted(hit.text, hit.highlights)),
      h("p", { class: "cite" }, "出处：", h("cite", {}, serverCitation(hit))),
      h("div", { class: "actions" },
        link(clauseUrl(hit.clause_id), "查看上下文"),
        link(clauseUrl(hit.clause_id, true), "其他文件中的相似表述"),
        link(docUrl(hit.doc_id, hit.clause_id), "全文")));
  }

  // ---- documents and filters ----------------------------------------------------------

  let docsPromise = null;
  function loadDocuments() {
    if (!docsPromise) {
      docsPromise = api("/v1/documents").then((d) => d.documents || []);
      docsPromise.catch(() => { docsPromise = null; });
    }
    return docsPromise;
  }

  const collate = (a, b) => a.localeCompare(b, "zh-Hans-CN");
  const isNational = (j) => !!j && (j.name === NATIONAL || j.level === "国家");

  /** The 地区 options: 全国 first (when a national document exists), then each province
   *  followed by the places under it that have documents. [{value, label, sub}] */
  function placeOptions(docs) {
    const under = new Map();  // province (or a place with no province) -> names under it
    let national = false;
    for (const d of docs) {
      const j = d.jurisdiction;
      if (!j || !j.name) continue;
      if (isNational(j)) { national = true; continue; }
      const top = j.province || j.name;
      if (!under.has(top)) under.set(top, new Set());
      if (j.name !== top) under.get(top).add(j.name);
    }
    const out = national ? [{ value: NATIONAL, label: NATIONAL }] : [];
    for (const top of [...under.keys()].sort(collate)) {
      out.push({ value: top, label: top });
      for (const name of [...under.get(top)].sort(collate)) out.push({ value: name, label: name, sub: true });
    }
    return out;
  }

  /** The values present in the documents, most frequent first. */
  function present(docs, key) {
    const count = new Map();
    for (const d of docs) if (d[key]) count.set(d[key], (count.get(d[key]) || 0) + 1);
    return [...count.keys()].sort((a, b) => count.get(b) - count.get(a) || collate(a, b));
  }

  function addOptions(sel, options) {
    for (const o of options) {
      if ([...sel.options].some((x) => x.value === o.value)) continue;
      // places under a province are indented; the label still reads as the plain name
      sel.append(h("option", { value: o.value, class: o.sub ? "sub" : null }, o.sub ? `\u3000${o.label}` : o.label));
    }
  }

  let filtersFilled = false;
  async function fillFilters() {
    if (filtersFilled) return;
    try {
      const docs = await loadDocuments();
      const places = placeOptions(docs);
      addOptions($("#jurisdiction"), places);
      addOptions($("#compare-jurisdiction"), places);
      const order = Object.keys(DOC_TYPE);
      const types = present(docs, "doc_type").sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
      addOptions($("#doc_type"), types.map((t) => ({ value: t, label: docTypeName(t) })));
      addOptions($("#subject"), present(docs, "subject").map((s) => ({ value: s, label: s })));
      filtersFilled = true;
    } catch (e) {
      setStatus("筛选项加载失败：" + e.message, "warn");
    }
  }

  /** Select value in sel; a value from the address that is not listed (a short name such as
   *  山东, a list such as law,regulation) is added so the form shows what is applied. */
  function setSelect(sel, value, label) {
    if (value && ![...sel.options].some((o) => o.value === value)) {
      sel.append(h("option", { value }, label ? label(value) : value));
    }
    sel.value = value || "";
  }
  const FILTER_LABEL = { kind: (v) => inWords(v, KIND), doc_type: (v) => inWords(v, DOC_TYPE) };

  let indicatorsLoaded = false;
  function loadIndicators() {
    if (indicatorsLoaded) return;
    indicatorsLoaded = true;
    api("/v1/targets").then((d) => {
      const count = new Map();
      for (const t of d.targets || []) {
        if (t.qualitative || !t.indicator_norm) continue;
        count.set(t.indicator_norm, (count.get(t.indicator_norm) || 0) + 1);
      }
      const names = [...count].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]).map(([k]) => k);
      $("#indicator-list").replaceChildren(...names.map((n) => h("option", { value: n })));
    }).catch(() => { indicatorsLoaded = false; });
  }

  // ---- views ----------------------------------------------------------------------------

  function examples(kind, toUrl) {
    const label = { search: "试试检索：", ask: "试试提问：", compare: "对比指标：" }[kind];
    return h("p", { class: "examples" }, label,
      EXAMPLES[kind].map((x) => link(toUrl(x), x)));
  }

  async function documentList() {
    let docs;
    try { docs = await loadDocuments(); } catch (e) { return errorBox("文件列表加载失败：" + e.message); }
    return h("section", { class: "doclist", id: "doclist" },
      h("h2", {}, `收录的文件（${docs.length} 部）`),
      h("ul", {}, docs.map((d) => h("li", { "data-doc": d.doc_id },
        link(docUrl(d.doc_id), d.title || d.doc_id), " ",
        h("span", { class: "doctype", title: "文件类型" }, docTypeName(d.doc_type) || "文件"), " ",
        h("span", { class: "muted" },
          [placeName(d.jurisdiction), d.status, `${d.clause_count || 0} 条`].filter(Boolean).join(" · "))))));
  }

  async function renderHome(url) {
    const p = url.searchParams;
    const mode = p.get("mode") === "ask" ? "ask" : "search";
    const q = (p.get("q") || "").trim();
    const filters = {};
    for (const k of FILTERS) if (p.get(k)) filters[k] = p.get(k);
    await fillFilters();
    searchForm.elements.mode.value = mode;
    $("#q").value = q;
    for (const k of FILTERS) setSelect($("#" + k), filters[k], FILTER_LABEL[k]);
    syncModeLabels();
    if (!q) {
      document.title = mode === "ask" ? "提问 · 规划条款检索" : "规划条款检索";
      const intro = mode === "ask"
        ? h("p", { class: "lead" }, "用一句话提问，得到简短回答和可以直接引用的条款；文件中没有规定的，会如实说明。")
        : h("p", { class: "lead" }, "跨地区检索发展规划和法律、法规等政策文件的条款，结果附有文件、章节与条款出处。");
      const ex = mode === "ask"
        ? examples("ask", (x) => `/?mode=ask&q=${enc(x)}`)
        : examples("search", (x) => `/?q=${enc(x)}`);
      const list = await documentList();
      return [intro, ex, examples("compare", (x) => `/compare?indicator=${enc(x)}`), list];
    }
    document.title = `${q} · ${mode === "ask" ? "提问" : "检索"}`;
    const body = Object.keys(filters).length ? filters : undefined;
    setStatus(mode === "ask" ? "正在查找答案…" : "正在检索…");
    if (mode === "ask") return askView(await api("/v1/ask", { question: q, filters: body }));
    return resultsView(await api("/v1/search", { query: q, top_k: 20, filters: body }));
  }

  function resultsView(data) {
    const hits = data.results || [];
    const summary = h("p", { class: "summary" },
      hits.length ? `找到 ${hits.length} 条相关条款` : "没有找到相关条款",
      typeof data.took_ms === "number" ? `（用时 ${Math.round(data.took_ms)} 毫秒）` : "",
      data.jurisdictions && data.jurisdictions.length ? `；检索范围：${data.jurisdictions.join("、")}` : "");
    return [summary, data.message && h("p", { class: "notice" }, data.message),
      h("div", { class: "hits", id: "results" }, hits.map(hitCard))];
  }

  function askView(data) {
    const cites = data.citations || [];
    const first = cites[0];
    const box = data.found
      ? h("div", { class: "answer found", id: "answer" },
        data.answer && h("p", { class: "answer-value" }, data.answer),
        data.answer_text && h("p", { class: "answer-text" }, data.answer_text),
        first && h("p", { class: "cite" }, "依据：", link(clauseUrl(first.clause_id), serverCitation(first))))
      : h("div", { class: "answer not-found", id: "answer" },
        h("p", { class: "answer-value" }, "规划中没有相关规定"),
        data.answer_text && h("p", { class: "answer-text" }, data.answer_text));
    return [box,
      cites.length > 0 && h("h2", {}, data.found ? "依据条款" : "最接近的条款（仅供参考）"),
      h("div", { class: "hits", id: "results" }, cites.map(hitCard))];
  }

  // compare ------------------------------------------------------------------------------

  const COLUMNS = [
    { key: "jurisdiction", label: "地区" },
    { key: "indicator", label: "指标" },
    { key: "comparator", label: "比较" },
    { key: "value", label: "目标值", num: true },
    { key: "unit", label: "单位" },
    { key: "year", label: "年份", num: true },
    { key: "attribute", label: "属性" },
    { key: "citation", label: "出处" },
  ];

  /** A table cell; data-label names the column when the table is shown as cards (phones). */
  function cell(key, cls, content) {
    const col = COLUMNS.find((c) => c.key === key);
    return h("td", { class: cls || null, "data-label": col.label }, content);
  }

  function sortValue(row, key) {
    if (key === "value") {
      const t = (row.targets || [])[0];
      const v = t && typeof t.value === "number" ? t.value : parseFloat(String(row.value || "").replace(/[^\d.]/g, ""));
      return Number.isFinite(v) ? v : null;
    }
    if (key === "citation") return row.hit ? serverCitation(row.hit) : "";
    const v = row[key];
    return v == null || v === "" ? null : v;
  }

  function sortRows(rows, key, dir) {
    const col = COLUMNS.find((c) => c.key === key);
    if (!col) return rows;
    const sign = dir === "desc" ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;  // empty last
      const c = col.num ? x - y : String(x).localeCompare(String(y), "zh-Hans-CN");
      return sign * c;
    });
  }

  function compareTable(data, sort, dir) {
    const tbody = h("tbody");
    const heads = COLUMNS.map((c) => h("th", { scope: "col", "data-key": c.key },
      h("button", { type: "button", onclick: () => resort(c.key) }, c.label, h("span", { class: "arrow", "aria-hidden": "true" }))));
    const table = h("table", { class: "compare", id: "compare-table" }, h("thead", {}, h("tr", {}, heads)), tbody);

    function draw() {
      for (const th of heads) {
        const on = th.dataset.key === sort;
        th.setAttribute("aria-sort", on ? (dir === "desc" ? "descending" : "ascending") : "none");
        th.querySelector(".arrow").textContent = on ? (dir === "desc" ? " ▼" : " ▲") : "";
      }
      tbody.replaceChildren(...sortRows(data.rows || [], sort, dir).map((r) => h("tr", { "data-doc": r.doc_id },
        cell("jurisdiction", "nowrap", placeName(r.jurisdiction)),
        cell("indicator", "", r.indicator),
        cell("comparator", "nowrap", r.comparator),
        cell("value", "num", r.value),
        cell("unit", "nowrap", r.unit),
        cell("year", "nowrap", r.year),
        cell("attribute", "nowrap", r.attribute),
        cell("citation", "cite", r.hit && link(clauseUrl(r.hit.clause_id), serverCitation(r.hit))))));
    }
    function resort(key) {
      dir = key === sort && dir === "asc" ? "desc" : "asc";
      sort = key;
      draw();
      const url = new URL(location.href);
      url.searchParams.set("sort", sort);
      url.searchParams.set("dir", dir);
      history.replaceState(history.state, "", url.pathname + url.search);
    }
    draw();
    return h("div", { class: "table-wrap" }, table);
  }

  /** The compare bar chart: the server's SVG, put inline so its <title> and <desc> reach
   * screen readers; null when it cannot be had (the table below holds the same data). */
  async function compareChart(qs) {
    let res;
    try {
      res = await fetch(`/v1/compare/chart?${qs}`);
    } catch (e) {
      return null;
    }
    if (!res.ok) return null;
    const svg = new DOMParser().parseFromString(await res.text(), "image/svg+xml").documentElement;
    if (!svg || svg.namespaceURI !== "http://www.w3.org/2000/svg" || svg.localName !== "svg") return null;
    svg.removeAttribute("width");  // scale to the page by its viewBox
    svg.removeAttribute("height");
    return h("figure", { class: "chart", id: "compare-chart" },
      h("div", { class: "chart-scroll" }, document.importNode(svg, true)),
      h("figcaption", {}, "条长为目标值；比较符、数值、单位和目标年份写在每条旁，不同目标年份用不同图案区分。数据同下表。"));
  }

  async function renderCompare(url) {
    const p = url.searchParams;
    const indicator = (p.get("indicator") || "").trim();
    const jurisdiction = p.get("jurisdiction") || "";
    await fillFilters();
    $("#indicator").value = indicator;
    setSelect($("#compare-jurisdiction"), jurisdiction);
    loadIndicators();
    if (!indicator) {
      document.title = "指标对比 · 规划条款检索";
      return [h("p", { class: "lead" }, "输入一个指标，查看各地规划对它的量化目标，并可下载为 CSV。"),
        examples("compare", (x) => `/compare?indicator=${enc(x)}`)];
    }
    document.title = `${indicator} · 指标对比`;
    const qs = new URLSearchParams({ indicator });
    if (jurisdiction) qs.set("jurisdiction", jurisdiction);
    setStatus("正在对比…");
    const [data, docs, chart] = await Promise.all([
      api(`/v1/compare?${qs}`), loadDocuments().catch(() => []), compareChart(qs)]);
    const title = new Map(docs.map((d) => [d.doc_id, d.title]));
    const rows = data.rows || [];
    const missing = data.missing || [];
    return [
      h("div", { class: "compare-head" },
        h("h2", {}, `“${data.indicator || indicator}”各地目标（${rows.length} 部规划）`),
        h("a", { class: "button", id: "csv-link", href: `/v1/compare?format=csv&${qs}`, download: `${indicator}.csv` }, "下载 CSV")),
      rows.length > 0 && chart,
      rows.length ? compareTable(data, p.get("sort") || "value", p.get("dir") === "desc" ? "desc" : "asc")
        : h("p", { class: "notice" }, "没有规划量化这个指标。换个说法试试，如“近视率”“死亡率”。"),
      missing.length > 0 && h("section", { class: "missing", id: "missing" },
        h("h3", {}, `未量化该指标的规划（${missing.length} 部）`),
        h("ul", {}, missing.map((id) => h("li", {}, link(docUrl(id), title.get(id) || id))))),
    ];
  }

  // clause in context, precedent -----------------------------------------------------------

  function clauseBlock(hit, current) {
    return h("div", { class: "clause" + (current ? " current" : ""), id: `c-${hit.clause_id}`, "aria-current": current ? "true" : null },
      current ? h("p", { class: "text" }, hit.text) : h("p", { class: "text clamp" }, link(clauseUrl(hit.clause_id), hit.text)));
  }

  async function renderClause(id, url) {
    const data = await api(`/v1/clauses/${enc(id)}?context=3`);
    const { clause, document: doc = {} } = data;
    const section = data.section || [];
    let list = section.length > 1 ? section : [...(data.before || []), clause, ...(data.after || [])];
    const at = list.findIndex((c) => c.clause_id === clause.clause_id);
    const WINDOW = 2;
    const cut = list.length > 2 * WINDOW + 1;
    if (cut) list = list.slice(Math.max(0, at - WINDOW), at + WINDOW + 1);
    document.title = `${clause.jurisdiction || ""} ${(clause.text || "").slice(0, 20)}…`;
    const panel = h("section", { class: "similar", id: "similar" });
    const button = h("button", {
      type: "button", id: "similar-btn",
      onclick: () => {
        const u = new URL(location.href);
        if (u.searchParams.get("similar") !== "1") {
          u.searchParams.set("similar", "1");
          history.pushState(null, "", u.pathname + u.search);
        }
        loadSimilar(clause, panel, true);
      },
    }, "其他文件中的相似表述");
    const whole = docUrl(clause.doc_id, clause.clause_id);
    const out = [
      h("nav", { class: "crumbs", "aria-label": "所在位置" }, link(whole, `《${doc.title || clause.title}》`),
        (clause.section_path || []).map((s) => h("span", {}, " › ", s))),
      hitMeta({ ...clause, doc_type: clause.doc_type || doc.doc_type }, doc.status && h("span", { class: "muted" }, doc.status)),
      h("div", { class: "context", id: "context" }, list.map((c) => clauseBlock(c, c.clause_id === clause.clause_id))),
      h("p", { class: "cite" }, "出处：", h("cite", {}, serverCitation(clause)),
        clause.source ? h("span", { class: "muted" }, `（${clause.source.file} 第 ${clause.source.line_start}–${clause.source.line_end} 行）`) : ""),
      h("div", { class: "actions" }, button, link(whole, cut ? `本节共 ${section.length} 条，阅读全文` : "阅读全文")),
      panel,
    ];
    if (url.searchParams.get("similar") === "1") loadSimilar(clause, panel, true);
    return out;
  }

  function diffNodes(diff, fallback) {
    if (!Array.isArray(diff) || diff.length === 0) return [fallback];
    return diff.map((d) => {
      const a = d.a_text || "";
      const b = d.b_text || "";
      if (d.op === "insert") return h("ins", {}, b);
      if (d.op === "delete") return h("del", {}, a);
      if (d.op === "replace") return [h("del", {}, a), h("ins", {}, b)];
      return b || a;
    });
  }

  async function loadSimilar(clause, panel, reveal) {
    panel.replaceChildren(h("h2", {}, "其他文件中的相似表述"), h("p", { class: "muted" }, "正在查找…"));
    let data;
    try {
      data = await api("/v1/similar", { clause_id: clause.clause_id, top_k: 20 });
    } catch (e) {
      const missing = e.status === 404 && /^not found$/i.test(e.message);
      panel.replaceChildren(h("h2", {}, "其他文件中的相似表述"),
        errorBox(missing ? "相似表述功能暂不可用（服务器还没有提供 /v1/similar）。" : "查找相似表述失败：" + e.message));
      return;
    }
    const matches = (data.results || data.matches || [])
      .map((r) => ({ ...r, hit: r.clause || r }))
      .filter((m) => m.hit && m.hit.clause_id !== clause.clause_id);
    const groups = Object.keys(GROUP).concat([...new Set(matches.map((m) => m.group))].filter((g) => g && !GROUP[g]));
    const sections = groups.map((g) => {
      const ms = matches.filter((m) => (m.group || "related") === g);
      return ms.length > 0 && h("div", { class: "group", "data-group": g },
        h("h3", {}, `${GROUP[g] || g}（${ms.length}）`),
        ms.map((m) => h("article", { class: "hit match", "data-clause": m.hit.clause_id },
          hitMeta(m.hit, typeof m.score === "number" && h("span", { class: "muted" }, `相似度 ${m.score.toFixed(2)}`)),
          // a diff against an unrelated clause is noise: related matches show their own text
          g === "related" ? h("p", { class: "text" }, m.hit.text) : h("p", { class: "text diff" }, diffNodes(m.diff, m.hit.text)),
          h("p", { class: "cite" }, "出处：", h("cite", {}, serverCitation(m.hit))),
          h("div", { class: "actions" }, link(clauseUrl(m.hit.clause_id), "查看上下文"),
            link(clauseUrl(m.hit.clause_id, true), "以此条查相似")))));
    });
    panel.replaceChildren(
      h("h2", {}, "其他文件中的相似表述"),
      matches.length
        ? h("p", { class: "legend" }, "与本条相比：", h("ins", {}, "下划线"), "为该文件多出的文字，", h("del", {}, "删除线"), "为本条有而该文件没有的文字。")
        : h("p", { class: "notice" }, "其他文件中没有找到相似的表述。"),
      ...sections.filter(Boolean));
    if (reveal && panel.isConnected) panel.scrollIntoView({ block: "start" });
  }

  // whole document ------------------------------------------------------------------------

  /** The jurisdiction with its level and the divisions above it: 青岛市（副省级市，山东省）,
   *  攀枝花市西区（市辖区，四川省攀枝花市）, 全国（国家）. */
  function placeFull(j) {
    if (!j || !j.name) return NO_PLACE;
    const above = [...new Set([j.province, j.parent])].filter((x) => x && x !== j.name).join("");
    const more = [j.level, above].filter((x) => x && x !== j.name);
    return more.length ? `${j.name}（${more.join("，")}）` : j.name;
  }

  function docFacts(doc) {
    const plan = doc.doc_type === "plan";
    const facts = [
      ["文件类型", docTypeName(doc.doc_type)],
      ["地区", placeFull(doc.jurisdiction)],
      ["发布机关", doc.issuer],
      ["文号", doc.doc_number],
      ["规划期", doc.period && doc.period.length === 2 ? `${doc.period[0]}—${doc.period[1]} 年` : null],
      [plan ? "印发日期" : "公布日期", doc.issued],
      ["版本日期", doc.version && doc.version !== doc.issued ? doc.version : null],
      ["状态", doc.status],
      ["条款", `${doc.clause_count || 0} 条`],
    ].filter(([, v]) => v);
    return h("dl", { class: "facts", id: "doc-facts" },
      facts.map(([k, v]) => h("div", { "data-fact": k }, h("dt", {}, k), h("dd", {}, v))));
  }

  /** A clause's text; an article's number, as printed, stands out. */
  function clauseText(c) {
    const text = c.text || "";
    if (c.kind !== "article" || !c.number) return text;
    if (text.startsWith(c.number)) return [h("strong", { class: "num" }, c.number), text.slice(c.number.length)];
    return [h("strong", { class: "num" }, c.number), " ", text];
  }

  async function renderDocument(id) {
    const doc = await api(`/v1/documents/${enc(id)}`);
    document.title = doc.title || id;
    const body = [];
    let prev = [];
    for (const c of doc.clauses || []) {
      const path = c.section_path || [];
      let level = 0;
      while (level < path.length && path[level] === prev[level]) level++;
      for (let i = level; i < path.length; i++) body.push(h(`h${Math.min(i + 2, 5)}`, { class: "sec" }, path[i]));
      prev = path;
      body.push(h("div", { class: "clause" + (c.kind === "article" ? " article" : ""), id: `c-${c.clause_id}`, "data-number": c.number || null },
        h("p", { class: "text" }, clauseText(c)),
        h("div", { class: "actions small" }, link(clauseUrl(c.clause_id), "上下文"), link(clauseUrl(c.clause_id, true), "相似表述"))));
    }
    return [h("h1", { class: "doc-title" }, doc.title || id), docFacts(doc),
      body.length ? h("div", { class: "document", id: "document" }, body)
        : h("p", { class: "notice" }, "这份文件没有可检索的条款。")];
  }

  // ---- router --------------------------------------------------------------------------------

  let renderCount = 0;

  function syncChrome(path, mode) {
    const onCompare = path === "/compare";
    searchForm.hidden = onCompare;
    compareForm.hidden = !onCompare;
    const tab = onCompare ? "compare" : path === "/" ? mode : null;
    for (const a of document.querySelectorAll("[data-tab]")) {
      if (a.dataset.tab === tab) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  async function render() {
    const token = ++renderCount;
    const isCurrent = () => token === renderCount;
    const url = new URL(location.href);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    syncChrome(path, url.searchParams.get("mode") === "ask" ? "ask" : "search");
    document.body.dataset.state = "loading";
    setStatus("");
    let m;
    try {
      let nodes;
      if (path === "/") nodes = await renderHome(url);
      else if (path === "/compare") nodes = await renderCompare(url);
      else if ((m = path.match(/^\/(clause|document)\/([^/]+)$/))) {
        const id = decode(m[2]);
        if (id === null) throw new Error(`链接地址有误：“${m[2]}”不是有效的编号（编码无法识别）。请检查链接，或从首页重新查找。`);
        nodes = await (m[1] === "clause" ? renderClause(id, url) : renderDocument(id));
      } else nodes = [errorBox("没有这个页面。"), h("p", {}, link("/", "回到首页"))];
      if (!isCurrent()) return;
      view.replaceChildren(...[nodes].flat(Infinity).filter((n) => n != null && n !== false));
      setStatus("");
      document.body.dataset.state = "ready";
      focusHash();
    } catch (e) {
      if (!isCurrent()) return;
      view.replaceChildren(errorBox(e.message || String(e)), h("p", {}, link("/", "回到首页")));
      setStatus("");
      document.body.dataset.state = "error";
    }
  }

  function focusHash() {
    if (!location.hash) return;
    const id = decode(location.hash.slice(1));  // a malformed "#%E0" is ignored, not an error
    const el = id && document.getElementById(id);
    if (!el) return;
    el.classList.add("current");
    el.scrollIntoView({ block: "center" });
  }

  function navigate(to) {
    const here = location.pathname + location.search + location.hash;
    if (to !== here) history.pushState(null, "", to);
    render();
    if (!to.includes("#")) window.scrollTo(0, 0);
  }

  // ---- events ----------------------------------------------------------------------------------

  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-nav]");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener("popstate", render);

  function syncModeLabels() {
    const ask = searchForm.elements.mode.value === "ask";
    $("#go").textContent = ask ? "提问" : "检索";
    $("#q").placeholder = ask ? "提问，如：大渡口区婴儿死亡率目标是多少？" : "关键词，如：防止儿童溺水";
  }

  function submitSearch() {
    const q = $("#q").value.trim();
    if (!q) { setStatus("请输入检索内容。", "warn"); $("#q").focus(); return; }
    const p = new URLSearchParams();
    if (searchForm.elements.mode.value === "ask") p.set("mode", "ask");
    p.set("q", q);
    for (const k of FILTERS) if ($("#" + k).value) p.set(k, $("#" + k).value);
    navigate("/?" + p);
  }

  searchForm.addEventListener("submit", (e) => { e.preventDefault(); submitSearch(); });
  searchForm.addEventListener("change", (e) => {
    if (e.target.name === "mode") syncModeLabels();
    if (e.target.tagName === "SELECT" || e.target.name === "mode") if ($("#q").value.trim()) submitSearch();
  });
  compareForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const indicator = $("#indicator").value.trim();
    if (!indicator) { setStatus("请输入指标名称。", "warn"); return; }
    const p = new URLSearchParams({ indicator });
    if ($("#compare-jurisdiction").value) p.set("jurisdiction", $("#compare-jurisdiction").value);
    navigate("/compare?" + p);
  });
  $("#compare-jurisdiction").addEventListener("change", () => {
    if ($("#indicator").value.trim()) compareForm.requestSubmit();
  });

  window.addEventListener("unhandledrejection", (e) => setStatus("出错了：" + ((e.reason && e.reason.message) || e.reason), "warn"));

  render();
})();
