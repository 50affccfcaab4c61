"""Distributed ingest on Ray (optional extra ``[ray]``).

``RaySession(address)`` lends an ingest two things, both started only when
there is work for them (an ingest with nothing to parse or embed never
contacts Ray):

- ``parse_files``: each changed file is parsed by a Ray task. The task gets the
  file's bytes, its path relative to its folder and the catalog (cluster nodes
  do not share the driver's disk), writes them to a temporary folder and parses
  there, so documents, clauses, ids and failure reasons are exactly what
  ``policy_search.pipeline.parse_many`` gives; results come back in input order.
- ``embedder(local)``: an ``Embedder`` with the local embedder's ``name`` and
  ``dim`` (so the manifest, the embedding cache key and the vector space are
  the same) whose ``embed_passages`` splits a large batch over a pool of Ray
  actors, one per node by default, each holding that node's CPUs (and GPUs)
  and loading the embedder once from its spec (``get_embedder(name)``).
  The driver keeps reading and writing the embedding cache, so cached text is
  never sent to Ray; queries are embedded locally, never through Ray.

Addresses: ``local`` starts a Ray instance in this process (shut down again
by ``close``), ``auto`` joins the cluster this machine is part of (``ray start``),
``HOST:6379`` a cluster's head, ``ray://HOST:10001`` a cluster through Ray
Client; a HOST:PORT that does not accept connections fails at once. ``close``
only disconnects from a cluster, never stops it. A process that already
called ``ray.init`` keeps (and uses) its connection, which is left open;
concurrent sessions share the one they made, and the last to close ends it.
Every node needs policy-search and the embedder's packages installed.
"""

from __future__ import annotations

import importlib
import logging
import re
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.builder import EMBED_BATCH
from index.embedders.base import Embedder, MissingDependencyError
from index.errors import PolicyIndexError
from ingest.model import ParsedDocument

log = logging.getLogger(__name__)

RAY_EXTRA_HINT = "pip install 'policy-search[ray]'"
LOCAL = "local"
AUTO = "auto"
ROUNDS_PER_CALL = 4  # a build batch gives every actor this many chunks, so none waits
ACTOR_START_TIMEOUT_S = 600.0  # loading the model on every node (and waiting for free CPUs)
CONNECT_TIMEOUT_S = 5.0  # the TCP check before ray.init, which itself retries for minutes

_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$")
_ADDRESS_HELP = (
    "expected 'local' (start Ray in this process), 'auto' (the cluster this machine joined "
    "with `ray start`), 'HOST:6379' (a cluster's head node) or 'ray://HOST:10001' (Ray Client)"
)

ParseResult = tuple[list[ParsedDocument] | None, str | None]

# The Ray connection is per process: sessions started by concurrent ingests
# (two indexes in one server) share it, and the last one to close shuts it down.
_connection_lock = threading.Lock()
_connection_users = 0  # open sessions using the connection a session made


class RayIngestError(PolicyIndexError):
    """Distributing an ingest on Ray failed (address, connection, a task or an actor)."""


class RayAddressError(RayIngestError, ValueError):
    """A Ray address that is not one of the accepted forms."""


class RayUnavailableError(RayIngestError, MissingDependencyError):
    """Ray is not installed; the message names the extra."""


def import_ray() -> Any:
    """The ``ray`` module, or RayUnavailableError naming the extra."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise RayUnavailableError(
            f"distributed ingest needs Ray, which is not installed: {RAY_EXTRA_HINT}"
        ) from exc


def parse_address(address: str | None) -> str | None:
    """The normalised address, None for empty (no Ray); RayAddressError when
    it is none of the forms in ``_ADDRESS_HELP``."""
    value = (address or "").strip()
    if not value:
        return None
    if value.lower() in (LOCAL, AUTO):
        return value.lower()
    rest = value[len("ray://") :] if value.startswith("ray://") else value
    match = _HOST_PORT.match(rest)
    if match is None or not 0 < int(match["port"]) < 65536:
        raise RayAddressError(f"bad Ray address {address!r}: {_ADDRESS_HELP}")
    return value


def _host_port(address: str) -> tuple[str, int]:
    rest = address[len("ray://") :] if address.startswith("ray://") else address
    match = _HOST_PORT.match(rest)
    assert match is not None  # parse_address accepted it
    return match["host"].strip("[]"), int(match["port"])


def _check_reachable(address: str) -> None:
    """RayIngestError unless a TCP connection to ``address``'s host and port opens."""
    host, port = _host_port(address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise RayIngestError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}; "
            "is `ray start --head` running there and the port open?"
        ) from exc


def _relative(path: Path, base: Path) -> str:
    """``path``'s name as ``parse_file(path, catalog, base_dir=base)`` records it."""
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return Path(path).name


def _parse_bytes(data: bytes, relative: str, catalog: dict[str, Any] | None, original: str) -> ParseResult:
    """(Ray task) Parse one file from its bytes: written under a temporary folder
    at its relative path, so ``source_file``, ids and catalog matches are the
    driver's; a failure reason names the driver's path, not the temporary one."""
    from .pipeline import _parse_one

    with tempfile.TemporaryDirectory(prefix="policy-search-") as tmp:
        base = Path(tmp)
        target = base / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        docs, error = _parse_one((target, base, catalog))
        if error is not None:
            for shown in {str(target.resolve()), str(target)}:
                error = error.replace(shown, original)
    return docs, error


class _EmbedWorker:
    """(Ray actor) One embedder, loaded once from its spec."""

    def __init__(self, spec: str) -> None:
        from index.embedders import get_embedder

        self._embedder = get_embedder(spec)

    def info(self) -> tuple[str, int, str]:
        return self._embedder.name, int(self._embedder.dim), socket.gethostname()

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._embedder.embed_passages(texts), dtype=np.float32)


def _why(exc: BaseException) -> str:
    """One line about a Ray failure (a task error carries the remote traceback)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class RaySession:
    """Parse and embed on Ray for one ingest; see the module docstring.

    ``actors``: embedding actors (default: one per node); ``local_cpus``: CPUs
    of a ``local`` instance (default: all). Use as a context manager, or call
    ``close``. ``stats`` says what was sent to Ray (the ingest report's ``ray``)."""

    def __init__(self, address: str, *, actors: int | None = None, local_cpus: int | None = None) -> None:
        parsed = parse_address(address)
        if parsed is None:
            raise RayAddressError(f"no Ray address given: {_ADDRESS_HELP}")
        self.address = parsed
        self._ray = import_ray()  # a missing extra fails before any work
        if parsed not in (LOCAL, AUTO):
            _check_reachable(parsed)  # ray.init itself retries an unreachable address for minutes
        self._want_actors = actors
        self._local_cpus = local_cpus
        self._counted = False  # this session holds a share of the connection sessions made
        self._nodes: list[dict[str, Any]] = []
        self._actors: list[Any] = []
        self._parse_task: Any = None
        self.stats: dict[str, Any] = {
            "address": self.address,
            "connected": False,  # False: nothing needed Ray (all files unchanged, all text cached)
            "nodes": 0,
            "cpus": 0,
            "parse_tasks": 0,
            "actors": 0,
            "embedded": 0,  # passages embedded by the actors
        }

    def __enter__(self) -> RaySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # connection

    def connect(self) -> None:
        """Connect (or start a local instance) once; RayIngestError when that fails."""
        if self.stats["connected"]:
            return
        global _connection_users
        ray = self._ray
        with _connection_lock:
            if ray.is_initialized():
                if _connection_users:  # made by another session: shared, the last one shuts it down
                    _connection_users += 1
                    self._counted = True
                else:  # made by whoever called ray.init in this process: theirs, left open
                    log.info("using the Ray connection this process already has")
            else:
                self._init()
                _connection_users += 1
                self._counted = True
        self._nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
        if not self._nodes:
            self.close()
            raise RayIngestError(f"the Ray cluster at {self.address} has no live node with CPUs")
        self.stats.update(
            connected=True,
            nodes=len(self._nodes),
            cpus=int(sum(n["Resources"]["CPU"] for n in self._nodes)),
        )

    def _init(self) -> None:
        ray = self._ray
        if self.address == LOCAL:
            try:
                ray.init(
                    address="local", num_cpus=self._local_cpus, include_dashboard=False,
                    logging_level=logging.WARNING, log_to_driver=False,
                )
            except Exception as exc:
                raise RayIngestError(f"could not start a local Ray instance: {_why(exc)}") from exc
            return
        kwargs: dict[str, Any] = {"address": self.address}
        if not self.address.startswith("ray://"):
            kwargs.update(logging_level=logging.WARNING, log_to_driver=False)
        try:
            ray.init(**kwargs)
        except Exception as exc:
            raise RayIngestError(f"could not connect to the Ray cluster at {self.address}: {_why(exc)}") from exc

    def close(self) -> None:
        """Stop this session's actors; shut down a local instance it started and
        disconnect from a cluster it connected to (the cluster keeps running)."""
        ray = self._ray
        for actor in self._actors:
            try:
                ray.kill(actor)
            except Exception as exc:  # already gone with its node
                log.debug("could not stop an embedding actor: %s", exc)
        self._actors = []
        global _connection_users
        with _connection_lock:
            if self._counted:
                self._counted = False
                _connection_users -= 1
                if _connection_users == 0:
                    ray.shutdown()

    # parsing

    def parse_files(self, files: list[tuple[Path, Path]], catalog: dict[str, Any] | None) -> list[ParseResult]:
        """Parse (path, base folder) pairs as Ray tasks, in input order; same
        results as ``parse_many``. At most a few tasks per CPU are in flight,
        so a large corpus is not all in the object store at once."""
        if not files:
            return []
        self.connect()
        ray = self._ray
        if self._parse_task is None:
            self._parse_task = ray.remote(num_cpus=1, max_retries=2)(_parse_bytes)
        results: list[ParseResult | None] = [None] * len(files)
        catalog_ref = ray.put(catalog)
        window = max(4, 2 * int(self.stats["cpus"]))
        pending: dict[Any, int] = {}

        def collect(refs: list[Any]) -> None:
            for ref in refs:
                i = pending.pop(ref)
                try:
                    results[i] = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise RayIngestError(f"parsing {files[i][0]} on Ray failed: {_why(exc)}") from exc

        for i, (path, base) in enumerate(files):
            try:
                data = Path(path).read_bytes()
            except OSError:
                from .pipeline import _parse_one

                results[i] = _parse_one((path, base, catalog))  # the same reason as local parsing
                continue
            ref = self._parse_task.remote(data, _relative(path, base), catalog_ref, str(path))
            pending[ref] = i
            self.stats["parse_tasks"] += 1
            if len(pending) >= window:
                done, _ = ray.wait(list(pending), num_returns=1)
                collect(done)
        collect(list(pending))
        if any(r is None for r in results):  # every file has a result or a reason
            raise RayIngestError("a parse task on Ray returned nothing")
        return [r for r in results if r is not None]

    # embedding

    def embedder(self, local: Embedder, chunk: int = EMBED_BATCH) -> RayEmbedder:
        """``local`` with its passages embedded on this session's actors."""
        return RayEmbedder(local, self, chunk)

    def actors(self, name: str, dim: int) -> list[Any]:
        """The embedding actors, started on first use; each must load ``name``
        with dimension ``dim``, else RayIngestError."""
        if self._actors:
            return self._actors
        self.connect()
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        count = max(1, self._want_actors or len(self._nodes))
        placed = [self._nodes[k % len(self._nodes)] for k in range(count)]
        per_node: dict[str, int] = {}
        for node in placed:
            per_node[node["NodeID"]] = per_node.get(node["NodeID"], 0) + 1
        worker = ray.remote(_EmbedWorker)
        for node in placed:
            share = per_node[node["NodeID"]]
            resources = node["Resources"]
            options: dict[str, Any] = {
                # the embedder uses every core it is given (OpenMP / torch threads follow num_cpus)
                "num_cpus": max(1, int(resources["CPU"]) // share),
                "scheduling_strategy": NodeAffinitySchedulingStrategy(node["NodeID"], soft=True),
            }
            gpus = resources.get("GPU", 0)
            if gpus:
                options["num_gpus"] = gpus // share if gpus >= share else gpus / share
            self._actors.append(worker.options(**options).remote(name))
        try:
            infos = ray.get([a.info.remote() for a in self._actors], timeout=ACTOR_START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError as exc:
            raise RayIngestError(
                f"the embedding actors did not start within {ACTOR_START_TIMEOUT_S:.0f}s "
                "(are the cluster's CPUs busy?)"
            ) from exc
        except ray.exceptions.RayError as exc:
            raise RayIngestError(f"could not load the embedder {name} on Ray: {_why(exc)}") from exc
        for actor_name, actor_dim, host in infos:
            if actor_name != name or actor_dim != dim:
                raise RayIngestError(
                    f"the embedder on Ray node {host} is {actor_name} (dim {actor_dim}), not {name} "
                    f"(dim {dim}); install the same policy-search and embedder on every node"
                )
        self.stats["actors"] = len(self._actors)
        log.info("embedding on %d Ray actors over %d nodes", len(self._actors), len(per_node))
        return self._actors

    def embed(self, name: str, dim: int, texts: list[str], chunk: int) -> np.ndarray:
        """Embed passages on the actors, ``chunk`` texts per actor call, in order."""
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        from ray.util import ActorPool

        pool = ActorPool(self.actors(name, dim))
        chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
        try:
            parts = list(pool.map(lambda actor, part: actor.embed.remote(part), chunks))
        except self._ray.exceptions.RayError as exc:
            raise RayIngestError(f"embedding on Ray failed: {_why(exc)}") from exc
        self.stats["embedded"] += len(texts)
        return np.concatenate(parts).astype(np.float32, copy=False)


class RayEmbedder:
    """An Embedder that embeds passages on a RaySession's actors and queries
    with the local embedder; same ``name`` and ``dim`` as that one.

    ``build_batch`` (read by ``index.builder`` only when something is missing
    from the cache) is ``chunk`` × actors × ROUNDS_PER_CALL, so one builder
    call keeps every actor busy; reading it starts the actors."""

    def __init__(self, local: Embedder, session: RaySession, chunk: int = EMBED_BATCH) -> None:
        self.name: str = local.name
        self.dim: int = int(local.dim)
        self._local = local
        self._session = session
        self._chunk = max(1, int(chunk))

    @property
    def build_batch(self) -> int:
        return self._chunk * len(self._session.actors(self.name, self.dim)) * ROUNDS_PER_CALL

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._local.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._session.embed(self.name, self.dim, list(texts), self._chunk)
