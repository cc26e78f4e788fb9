"""Key hints from the live bindings: every hint the app shows (title bar, page footer, quiz header,
help screen) is looked up here by binding id, with the learner's keymap applied, so a rebinding
(``[keymap]`` in the settings file, or ``App.update_keymap``) shows everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App


@dataclass(frozen=True)
class Section:
    title: str
    owners: tuple[str, ...]  # "module:Class" whose BINDINGS belong here


# The help screen's sections, in order. Classes are named, not imported, so this module stays
# cheap to import; ``bindings()`` resolves them on first use.
SECTIONS: tuple[Section, ...] = (
    Section("Anywhere", ("lmtui.tui.app:LmtuiApp", "lmtui.tui.app:MainScreen")),
    Section("Reading", ("lmtui.tui.widgets.reader:PageReader", "lmtui.tui.widgets.search:SearchBar")),
    Section("Quiz", ("lmtui.tui.widgets.quiz:QuizPane", "lmtui.tui.widgets.quiz:QuestionCard", "lmtui.tui.widgets.predict:PredictCard")),
    Section("Review and overview", ("lmtui.tui.screens.review:ReviewScreen", "lmtui.tui.screens.overview:OverviewScreen",
                                    "lmtui.tui.screens.overview:MissedList")),
    Section("Simulations", ("lmtui.tui.widgets.simpane:SimPane", "lmtui.tui.widgets.simpane:ParamRow")),
    Section("Lists and figures", ("lmtui.tui.widgets.toc:TableOfContents", "lmtui.tui.widgets.explorer:ExplorerView",
                                  "lmtui.tui.widgets.explorer:_ItemList", "lmtui.tui.widgets.explorer:_Detail")),
)


def _resolve(owner: str, load: bool = True):
    """The class ``owner`` names; with ``load`` False, only if its module is imported already."""
    import importlib
    import sys

    module, _, name = owner.partition(":")
    if not load and module not in sys.modules:
        return None
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _collect(load: bool) -> tuple[tuple[str, tuple[Binding, ...]], ...]:
    out = []
    for section in SECTIONS:
        found: list[Binding] = []
        for owner in section.owners:
            cls = _resolve(owner, load)
            for b in getattr(cls, "BINDINGS", ()) if cls is not None else ():
                if isinstance(b, Binding) and b.id and all(b.id != f.id for f in found):
                    found.append(b)
        out.append((section.title, tuple(found)))
    return tuple(out)


@cache
def bindings() -> tuple[tuple[str, tuple[Binding, ...]], ...]:
    """(section title, bindings with ids) in help order (imports every owner: for the help)."""
    return _collect(load=True)


_loaded: dict[str, Binding] = {}


def by_id_or_none(binding_id: str) -> Binding | None:
    """The binding with ``binding_id``, looked up among the modules imported so far first: a hint
    on the first frame must not import every widget module (a start pays only for what it shows)."""
    if binding_id not in _loaded:
        for load in (False, True):
            _loaded.update((b.id, b) for _, group in _collect(load) for b in group if b.id)
            if binding_id in _loaded:
                break
    return _loaded.get(binding_id)


def keys_of(app: App, binding_id: str) -> list[str]:
    """The keys bound to ``binding_id`` now (the keymap's, or the default), as Textual names them."""
    binding = by_id_or_none(binding_id)
    keymap = getattr(app, "_keymap", {}) or {}
    raw = keymap.get(binding_id) or (binding.key if binding else "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def hint(app: App, binding_id: str, every: bool = False) -> str:
    """How to show the key(s) of ``binding_id``: the first, or all joined with '/'."""
    binding = by_id_or_none(binding_id)
    keys = keys_of(app, binding_id)
    if binding is None or not keys:
        return "?"
    keymap = getattr(app, "_keymap", {}) or {}
    if binding.key_display and binding_id not in keymap and not every:
        return binding.key_display
    shown = [app.get_key_display(replace(binding, key=k, key_display=None)) for k in (keys if every else keys[:1])]
    return "/".join(shown)
