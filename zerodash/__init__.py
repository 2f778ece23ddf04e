"""ZeroDash operator CLI: `python -m zerodash status | wake APP | sleep APP`.

The CLI reuses the Lambdas' own code (app object parser, AWS calls, state derivation, metric queries) so it
can never disagree with the scaler about what an app is or how it is woken and put to sleep. That code lives
in lambdas/, which is the root of the Lambda code asset: its packages (`common`, `scaler`, `waker`) import
each other as top-level packages, exactly as Lambda loads them. This is the one place that makes them
importable from the CLI: put the lambdas/ folder next to this package on sys.path (pytest already does the
same through pyproject.toml, so then this is a no-op).
"""

from __future__ import annotations

import sys
from pathlib import Path

LAMBDA_ROOT = Path(__file__).resolve().parent.parent / "lambdas"

if not (LAMBDA_ROOT / "common" / "apps.py").is_file():
    raise ImportError(
        f"zerodash needs the repository's lambdas/ folder next to it ({LAMBDA_ROOT} is missing): "
        "run it from a checkout (`python -m zerodash`) or install it editable (`pip install -e .`)"
    )
if str(LAMBDA_ROOT) not in sys.path:
    sys.path.insert(0, str(LAMBDA_ROOT))
