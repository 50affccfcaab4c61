"""Command-line habits: global options before or after the command, --version,
shell completion, progress bars on long commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search import __version__
from policy_search.cli import cli
from tests.conftest import CACHE, CORPUS

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


@pytest.mark.integration
def test_ingest_takes_the_global_options_after_the_command(tmp_path):
    """`policy-search ingest corpus --index X --json`, as the README promises."""
    index = tmp_path / "idx"
    r = run("ingest", str(CORPUS), "--index", str(index), "--json", "-q", env={"POLICY_SEARCH_CACHE": str(CACHE)})
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert len(report["documents"]) == 6 and report["changed"]
    assert (index / "current").exists()  # built where --index said, after the command name


@pytest.mark.integration
def test_global_options_before_and_after_give_the_same_answer(index_dir):
    before = run("--index", str(index_dir), "--json", "search", "防止儿童溺水", "-k", "3")
    after = run("search", "防止儿童溺水", "-k", "3", "--index", str(index_dir), "--json")
    assert before.exit_code == after.exit_code == 0, after.output
    ids = [[h["clause_id"] for h in json.loads(r.output)["results"]] for r in (before, after)]
    assert ids[0] == ids[1] and len(ids[0]) == 3
    # a command without a --json of its own gets the global one
    report = run("shared-wording", "--min-plans", "4", "-q", "--index", str(index_dir), "--json")
    assert report.exit_code == 0 and "clusters" in json.loads(report.output)
    # the last --index wins
    docs = run("--index", "/nonexistent/index", "documents", "--index", str(index_dir))
    assert docs.exit_code == 0 and "dadukou-children" in docs.output


def test_every_command_documents_the_global_options():
    def commands(group, prefix=()):
        for name, command in group.commands.items():
            yield (*prefix, name), command
            if hasattr(command, "commands"):
                yield from commands(command, (*prefix, name))

    for path, command in commands(cli):
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"--index", "--json"} <= opts, f"policy-search {' '.join(path)} lacks a global option"


def test_version():
    r = run("--version")
    assert r.exit_code == 0
    assert r.output.strip() == f"policy-search {__version__}"
    assert __version__ != "0.0.0"  # read from the installed metadata


def _cli(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "policy_search.cli", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )


def test_shell_completion_scripts_and_candidates():
    script = _cli({"_POLICY_SEARCH_COMPLETE": "bash_source"})
    assert script.returncode == 0
    assert "_policy_search_completion" in script.stdout and "complete " in script.stdout
    assert "zsh" in _cli({"_POLICY_SEARCH_COMPLETE": "zsh_source"}).stdout
    words = _cli({"_POLICY_SEARCH_COMPLETE": "bash_complete", "COMP_WORDS": "policy-search sha", "COMP_CWORD": "1"})
    assert words.returncode == 0 and "shared-wording" in words.stdout
    options = _cli({"_POLICY_SEARCH_COMPLETE": "bash_complete", "COMP_WORDS": "policy-search search --ind", "COMP_CWORD": "2"})
    assert "--index" in options.stdout


@pytest.mark.integration
def test_shared_wording_shows_progress(service, capsys):
    from search.shared_wording import shared_wording_report

    shared_wording_report(service.documents, service.clauses, service.similarity, 3, 0.8, progress=True)
    err = capsys.readouterr().err
    assert "clustering" in err and "bucket" in err
    shared_wording_report(service.documents, service.clauses, service.similarity, 3, 0.8)
    assert "clustering" not in capsys.readouterr().err  # off unless asked for (a terminal, in the CLI)
