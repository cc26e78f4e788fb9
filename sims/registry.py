"""Name -> simulation. Names are known without importing the (numpy-heavy) modules, so the content
checker and the app's start-up stay light; a module is imported the first time its sim is asked for."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Simulation

# name: (module, class, chapter)
NAMES: dict[str, tuple[str, str, int]] = {
    "langevin_well": ("langevin_well", "LangevinWell", 1),
    "deep_linear": ("deep_linear", "DeepLinear", 2),
    "lazy_rich": ("lazy_rich", "LazyRich", 3),
    "scaling_law": ("scaling_law", "ScalingLaw", 4),
    "kernel_curves": ("kernel_curves", "KernelCurves", 4),
    "edge_of_stability": ("edge_of_stability", "EdgeOfStability", 4),
    "neural_collapse": ("neural_collapse", "NeuralCollapse", 4),
    "mup_transfer": ("mup_transfer", "MupTransfer", 5),
    "implicit_regularization": ("implicit_regularization", "ImplicitRegularization", 5),
    "universality": ("universality", "Universality", 6),
    "double_descent": ("double_descent", "DoubleDescent", 6),
    "grokking": ("grokking", "Grokking", 7),
}

# name: title, known without importing the module (the command palette searches these; a test
# holds them to each simulation's own title)
TITLES: dict[str, str] = {
    "langevin_well": "A ball in a well: gradient descent and Langevin noise",
    "deep_linear": "Deep linear networks: one singular mode at a time",
    "lazy_rich": "Lazy vs rich: the output scale alpha",
    "scaling_law": "Scaling law from a power-law spectrum",
    "kernel_curves": "Kernel learning curves: eigenlearning vs kernel regression",
    "edge_of_stability": "Edge of stability: sharpness rises to 2/eta",
    "neural_collapse": "Neural collapse to a simplex ETF",
    "mup_transfer": "muP vs SP: does the best learning rate survive widening?",
    "implicit_regularization": "Implicit gradient regularization: GD follows a modified flow",
    "universality": "Universality: CKA and mutual kNN",
    "grokking": "Grokking: modular addition",
}

_cache: dict[str, Simulation] = {}


class UnknownSimulation(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0])


def get(name: str) -> Simulation:
    if name not in NAMES:
        raise UnknownSimulation(f"unknown simulation {name!r}; known: {', '.join(NAMES)}")
    if name not in _cache:
        module, cls, _chapter = NAMES[name]
        mod = importlib.import_module(f"{__package__}.{module}")
        _cache[name] = getattr(mod, cls)()
    return _cache[name]


def all_sims() -> list[Simulation]:
    return [get(n) for n in NAMES]
