"""lmtui.sims: pure numpy/scipy simulations of Learning Mechanics phenomena (no Textual here).

BLAS thread pools are pinned to one thread: the matrices here are tiny, and multi-threaded BLAS on
tiny matrices is many times slower (and would fight the UI for the two cores of a shared host).

Importing this package is cheap: numpy is loaded only when a simulation or the base classes are
first used (``lmtui.sims.registry.NAMES`` lists the names without importing numpy), so the app
starts without paying for numpy/scipy.
"""

import os as _os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

_BASE = {"Chart", "Frame", "Line", "Panel", "Param", "ParamError", "Result", "Runner", "Simulation", "run_to_end"}
_REGISTRY = {"NAMES", "all_sims", "get"}

__all__ = sorted(_BASE | _REGISTRY)


def __getattr__(name: str):
    if name in _BASE:
        from . import base

        return getattr(base, name)
    if name in _REGISTRY:
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
