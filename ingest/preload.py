"""Imported once by the fork server that starts the parser processes
(:mod:`ingest.worker`): loads what every parse needs, so that each parser
process forked from it starts warm instead of spending most of a second
reading the gazetteer."""

from __future__ import annotations

import ingest.formats  # noqa: F401  (the readers register themselves)
import ingest.parse  # noqa: F401
from ingest.gazetteer import gazetteer
from ingest.worker import parse_one  # noqa: F401  (the function the processes run)

gazetteer()
