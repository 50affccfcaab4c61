"""The command line, in-process through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policy_search.cli import cli

pytestmark = pytest.mark.integration


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_search_json(index_dir):
    r = run("--index", str(index_dir), "--json", "search", "婴儿死亡率", "-k", "3")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert len(data["results"]) == 3


def test_search_text_output(index_dir):
    r = run("--index", str(index_dir), "search", "防止儿童溺水", "-j", "石拐")
    assert r.exit_code == 0
    assert "《石拐区儿童发展规划" in r.output


def test_documents(index_dir):
    r = run("--index", str(index_dir), "documents")
    assert r.exit_code == 0
    assert "dadukou-children" in r.output


def test_missing_index_is_a_clear_error(tmp_path):
    r = run("--index", str(tmp_path / "none"), "search", "溺水")
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    assert "ingest" in r.output


def test_bad_input_is_a_clear_error(index_dir):
    r = run("--index", str(index_dir), "search", "溺水", "--kind", "poem")
    assert r.exit_code != 0 and "Traceback" not in r.output


def test_ingest_missing_path_is_a_clear_error(tmp_path):
    r = run("--index", str(tmp_path / "idx"), "ingest", str(tmp_path / "missing"))
    assert r.exit_code != 0 and "no such file" in r.output


def test_eval_command(index_dir):
    r = run("--index", str(index_dir), "eval", "tests/data/dev.jsonl")
    assert r.exit_code == 0, r.output
    assert "mrr@10" in r.output and "overall" in r.output


def test_ask_compare_targets_similar(index_dir):
    r = run("--index", str(index_dir), "ask", "大渡口区婴儿死亡率要控制在多少？")
    assert r.exit_code == 0 and "＜2.3" in r.output
    r = run("--index", str(index_dir), "compare", "婴儿死亡率", "--csv")
    assert r.exit_code == 0 and r.output.startswith("doc_id,")
    r = run("--index", str(index_dir), "--json", "targets", "-j", "大渡口")
    assert r.exit_code == 0 and json.loads(r.output)["count"] >= 45
    r = run("--index", str(index_dir), "similar", "--text", "鼓励社区图书馆设立亲子阅读区", "-k", "2")
    assert r.exit_code == 0 and "[" in r.output
    r = run("--index", str(index_dir), "shared-wording", "--format", "csv")
    assert r.exit_code == 0 and r.output.count("\n") > 10
