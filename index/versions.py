"""The versions an index keeps, and rolling back to one of them.

Every build leaves a complete version under ``DIR/versions/`` and the newest
``keep_versions`` stay there (``index.layout.prune_versions``). ``versions``
lists them; ``rollback`` points ``DIR/current`` at an earlier one, atomically
and durably, under the build lock, after checking the whole version against
its manifest's checksums — so a damaged version is never switched to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .builder import build_lock
from .errors import IndexNotFoundError, PolicyIndexError
from .layout import current_target, list_versions, switch_current
from .manifest import Manifest


class UnknownVersionError(IndexNotFoundError):
    """No kept version has that name."""

    status = 404


class NoRollbackTargetError(PolicyIndexError):
    """There is no earlier intact version to go back to."""

    status = 409


@dataclass
class VersionInfo:
    """One kept version of an index."""

    version: str  # the folder name under versions/ (sortable by build time)
    created_at: str  # from the manifest ("" when it cannot be read)
    documents: int | None
    clauses: int | None
    current: bool
    ok: bool  # the manifest reads (and, when verified, every file matches it)
    problem: str = ""  # why it is not ok
    verified: bool = False  # every file was checked against its checksum

    @classmethod
    def of(cls, name: str, manifest: Manifest, current: bool, verified: bool) -> VersionInfo:
        """A readable version, from its manifest."""
        counts = manifest.counts
        return cls(name, manifest.created_at, counts.get("documents"), counts.get("clauses"), current, True, verified=verified)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_version(version_dir: Path, verify: bool = True) -> Manifest:
    """The manifest of one version; with ``verify`` every file is checked
    against its size and sha256. IndexCorruptError when anything disagrees."""
    manifest = Manifest.load(version_dir)
    if verify:
        manifest.verify_files(version_dir)
    return manifest


def list_index_versions(index_dir: Path, verify: bool = False) -> list[VersionInfo]:
    """The kept versions, oldest first, with the current one marked;
    ``verify`` hashes every file of every version (slower; finds damage that a
    readable manifest does not show)."""
    index_dir = Path(index_dir)
    current = current_target(index_dir)
    out: list[VersionInfo] = []
    for entry in list_versions(index_dir):
        is_current = current is not None and entry.resolve() == current
        try:
            manifest = check_version(entry, verify=verify)
        except PolicyIndexError as exc:
            out.append(VersionInfo(entry.name, "", None, None, is_current, False, str(exc).split(";")[0]))
            continue
        out.append(VersionInfo.of(entry.name, manifest, is_current, verify))
    return out


def rollback(index_dir: Path, version: str | None = None, lock_timeout: float | None = None) -> VersionInfo:
    """Make ``version`` (default: the newest version older than the current
    one; with no readable current one, the newest version that verifies) the
    current version of ``index_dir``. The target is verified in full first;
    the switch is atomic, durable and made under the build lock
    (``lock_timeout`` as in ``build_lock``). Returns the new current version.
    UnknownVersionError (no such version), NoRollbackTargetError (none to go
    back to), IndexCorruptError (the target is damaged: nothing switched)."""
    index_dir = Path(index_dir)
    if not (index_dir / "versions").is_dir():
        raise IndexNotFoundError(f"{index_dir} holds no index versions to roll back to")
    with build_lock(index_dir, lock_timeout):
        versions = list_versions(index_dir)
        names = [v.name for v in versions]
        current = current_target(index_dir)
        if version is not None:
            if version not in names:
                listed = ", ".join(names) or "none"
                raise UnknownVersionError(
                    f"no version {version!r} in {index_dir}; kept versions: {listed} "
                    f"(`policy-search --index {index_dir} versions`)"
                )
            target = versions[names.index(version)]
            manifest = check_version(target)
        else:
            target, manifest = _previous(index_dir, versions, current)
        switch_current(index_dir, target)
    return VersionInfo.of(target.name, manifest, current=True, verified=True)


def _previous(index_dir: Path, versions: list[Path], current: Path | None) -> tuple[Path, Manifest]:
    """The version a plain ``rollback`` goes to: the newest older than the
    current one that verifies (damaged ones are skipped); with no current
    version (or one that is gone), the newest that verifies."""
    names = [v.name for v in versions]
    if current is not None and current.name in names and current.parent.name == "versions":
        candidates = versions[: names.index(current.name)]
    else:
        candidates = versions
    problems: list[str] = []
    for entry in reversed(candidates):
        if current is not None and entry.resolve() == current:
            continue
        try:
            return entry, check_version(entry)
        except PolicyIndexError as exc:
            problems.append(f"{entry.name}: {str(exc).split(';')[0]}")
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise NoRollbackTargetError(
        f"no earlier intact version of {index_dir} to roll back to{detail}; "
        f"`policy-search --index {index_dir} ingest --force PATH…` starts a new index"
    )
