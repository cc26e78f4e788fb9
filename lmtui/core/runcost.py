"""How long a simulation run may take, before it starts (each simulation's ``estimate_seconds``).

- ``lmtui check`` refuses a predict question whose run is estimated over ``CHECK_LIMIT_S``: the
  learner waits for it in the middle of a quiz.
- The app asks before starting a run estimated over ``ASK_ABOVE_S``, and shows the estimate.
- ``lmtui sim run`` refuses a run estimated over ``CLI_LIMIT_S`` unless given ``--no-limit``.
- ``lmtui serve`` sets ``LMTUI_RUN_LIMIT`` (seconds) for its visitors: the app refuses a run
  estimated over it (a visitor cannot pin a core of the room's machine for minutes).

No Textual import here.
"""

from __future__ import annotations

import math
import os

CHECK_LIMIT_S = 5.0
ASK_ABOVE_S = 30.0
CLI_LIMIT_S = 120.0
SERVE_LIMIT_S = 30.0
LIMIT_ENV = "LMTUI_RUN_LIMIT"


def run_limit() -> float | None:
    """The most a run may be estimated at in this process (``LMTUI_RUN_LIMIT``), or None."""
    raw = os.environ.get(LIMIT_ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return SERVE_LIMIT_S  # set, but not a number: the room's default rather than none
    return value if math.isfinite(value) and value > 0 else SERVE_LIMIT_S


def describe(seconds: float) -> str:
    """``about 40 s``, ``about 3 min``, ``about 2.5 h``."""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.2g} h"
