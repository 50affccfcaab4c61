"""Print the README's configuration table from policy_search.settings.SETTINGS."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policy_search.settings import SETTINGS  # noqa: E402


def table() -> str:
    rows = ["| setting | environment variable | default | meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        rows.append(f"| {s.name} | `{s.env}` | {default} | {s.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
