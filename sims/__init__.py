"""lmtui.sims: pure numpy/scipy simulations of Learning Mechanics phenomena (no Textual here).

BLAS thread pools are pinned to one thread: the matrices here are tiny, and multi-threaded BLAS on
tiny matrices is many times slower (and would fight the UI for the two cores of a shared host).
"""

import os as _os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

from .base import Chart, Frame, Line, Panel, Param, ParamError, Result, Runner, Simulation, run_to_end  # noqa: E402
from .registry import NAMES, all_sims, get  # noqa: E402

__all__ = [
    "Chart", "Frame", "Line", "Panel", "Param", "ParamError", "Result", "Runner", "Simulation",
    "run_to_end", "NAMES", "all_sims", "get",
]
