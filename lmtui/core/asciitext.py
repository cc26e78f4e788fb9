"""ASCII-only text for terminals that cannot show Unicode (``lmtui --ascii``, or a non-UTF-8 locale).

Two layers:

* :func:`fold` spells text out (``η`` -> ``eta``, ``≈`` -> ``~=``, ``²`` -> ``^2``). The app folds the
  course model and its own labels with it once, before anything is laid out, so widths stay right.
* :func:`cell` maps one character to one ASCII character for an output filter that catches what
  is drawn rather than written (Rich's list bullets and table rules, Textual's widgets): box
  drawing becomes ``+-|``, anything unknown ``?``, so no line changes width.

No Textual import here: the charts and the command line use it too.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from functools import lru_cache
from typing import Any

# Spelled-out forms, chosen to read well in a formula: "eta grad L", "x^2", "W^T", "u_0".
GREEK: dict[str, str] = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "µ": "mu", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon",
    "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta",
    "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi",
    "Ω": "Omega", "ħ": "hbar", "ℓ": "l",
}
SUPER: dict[str, str] = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀˣⁿ", "0123456789+-Txn"))
SUB: dict[str, str] = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ᵢⱼₖₙₜ", "0123456789+-ijknt"))
SYMBOLS: dict[str, str] = {
    "−": "-", "–": "-", "—": "--", "·": "*", "×": "x", "÷": "/", "±": "+/-", "≈": "~=",
    "≃": "~=", "∼": "~", "∝": "~", "≤": "<=", "≥": ">=", "≠": "!=", "≡": "==", "≪": "<<",
    "≫": ">>", "√": "sqrt", "∞": "inf", "∇": "grad ", "∂": "d", "∫": "integral ", "∑": "sum ",
    "∈": " in ", "∩": " cap ", "∪": " cup ", "‖": "||", "∥": "||", "⟨": "<", "⟩": ">",
    "→": "->", "←": "<-", "↔": "<->", "⇄": "<=>", "⇒": "=>", "⇐": "<=", "↦": "|->",
    "ℝ": "R", "ℤ": "Z", "ℕ": "N", "°": " deg", "′": "'", "″": "''", "…": "...", "⋯": "...",
    "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*", "½": "1/2", "¼": "1/4", "¾": "3/4",
    "\u00a0": " ",
    # dotted letters (Newton's notation): x-dot is x', x-double-dot x''
    "ẋ": "x'", "ẍ": "x''",
}
# whole spellings that beat the letter-by-letter rule
PHRASES: dict[str, str] = {"µP": "muP", "μP": "muP", "t½": "t_1/2", "∇²": "grad^2 "}
FOLD: dict[str, str] = {**GREEK, **SYMBOLS, **{k: "^" + v for k, v in SUPER.items()}, **{k: "_" + v for k, v in SUB.items()}}

# One cell for one cell: what an output filter may substitute without moving anything.
_LINES = {
    **dict.fromkeys("─━┄┅┈┉╌╍═╴╶╸╺▔▁⎯", "-"),
    **dict.fromkeys("│┃┆┇┊┋╎╏║╵╷╹╻▏▕▎▍▌▐", "|"),
    **dict.fromkeys("┌┍┎┏┐┑┒┓└┕┖┗┘┙┚┛├┝┞┟┠┡┢┣┤┥┦┧┨┩┪┫┬┭┮┯┰┱┲┳┴┵┶┷┸┹┺┻┼┽┾┿╀╁╂╃╄╅╆╇╈╉╊╋"
                    "╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬╭╮╯╰", "+"),
    **dict.fromkeys("█▇▆▅▄▃▂▀▉▊▋", "#"), **dict.fromkeys("░▒▓", ":"),
    "•": "*", "·": ".", "…": ".", "⋯": ".", "▶": ">", "▸": ">", "►": ">", "◀": "<", "◂": "<",
    "▲": "^", "▼": "v", "▾": "v", "▴": "^", "✓": "v", "✔": "v", "✗": "x", "✘": "x", "●": "o",
    "○": "o", "◆": "*", "◇": "*", "■": "#", "□": "#", "\u00a0": " ", "\u2009": " ", "\u200b": "",
}


def _strip_marks(text: str) -> str:
    """Letters with accents or combining marks as the plain letter (á -> a, x̃ -> x)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """``text`` in ASCII, with Greek letters and math signs spelled out; anything else as ``?``.

    A run of superscripts or subscripts keeps one mark (10⁻³ -> 10^-3, u₁₂ -> u_12) and is set
    apart from a letter or digit after it (λᵢt -> lambda_i t, W₂W₁x -> W_2 W_1 x); a Greek
    letter written against other letters gets a space (Lλu -> L lambda u, not Llambdau) but not
    against its own sub- or superscript (θ₀ -> theta_0), and a gradient none before its
    subscript (∇_θf -> grad_theta f); a root of a bare word or number gets parentheses
    (1/√m -> 1/sqrt(m), √(2ηT) -> sqrt(2 eta T)).
    """
    if text.isascii():
        return text
    for phrase, spelled in PHRASES.items():
        text = text.replace(phrase, spelled)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in SUPER or ch in SUB:
            table, mark = (SUPER, "^") if ch in SUPER else (SUB, "_")
            j = i
            while j < n and text[j] in table:
                j += 1
            out.append(mark + "".join(table[c] for c in text[i:j]))
            if j < n and text[j].isascii() and text[j].isalnum():
                out.append(" ")  # the index ends here: λᵢt -> lambda_i t, not lambda_it
            i = j
            continue
        if ch == "√":
            j = i + 1
            while j < n and (_word_char(text[j]) or (text[j] == "." and j + 1 < n and text[j + 1].isdigit())):
                j += 1
            before = text[i - 1] if i else ""
            lead = " " if before.isalnum() else ""
            out.append(f"{lead}sqrt({fold(text[i + 1:j])})" if j > i + 1 else f"{lead}sqrt")
            i = j
            continue
        if ch in GREEK:
            word = GREEK[ch]
            before, after = text[i - 1] if i else "", text[i + 1] if i + 1 < n else ""
            if before.isalnum() and before not in GREEK:
                word = " " + word
            if after.isalnum() and after not in SUPER and after not in SUB:
                word += " "
            out.append(word)
        elif ch == "∇" and i + 1 < n and (text[i + 1] == "_" or text[i + 1] in SUB):
            out.append("grad")  # its subscript follows at once: ∇_θ -> grad_theta
        else:
            out.append(SYMBOLS.get(ch, ch))
        i += 1
    folded = "".join(out)
    if not folded.isascii():
        folded = _strip_marks(folded)
    return folded.encode("ascii", "replace").decode("ascii")


def _word_char(ch: str) -> bool:
    """Part of a word or number that a root sign applies to (letters, digits, Greek, indices, and
    the underscore of a name such as fan_in)."""
    return ch.isalnum() or ch == "_" or ch in GREEK or ch in SUPER or ch in SUB


@lru_cache(maxsize=1024)
def cell(ch: str) -> str:
    """One printable ASCII character for ``ch`` (two for a double-width character), same width."""
    if ch.isascii():
        return ch
    if ch in _LINES:
        return _LINES[ch]
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return "??"
    if unicodedata.combining(ch):
        return ""
    spelled = fold(ch)
    return spelled if len(spelled) == 1 else "?"


def fold_cells(text: str) -> str:
    """``text`` with every character replaced by :func:`cell`; the width does not change."""
    return text if text.isascii() else "".join(cell(ch) for ch in text)


ELLIPSIS, ASCII_ELLIPSIS = "\u2026", "..."


def cut(text: str, width: int, mark: str = ELLIPSIS) -> str:
    """``text`` in at most ``width`` cells: if longer, cut and ended with ``mark`` (the ellipsis;
    ``...`` under --ascii), so a reader sees that something is left out."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    room = width - cell_len(mark)
    if room <= 0:
        return set_cell_size(mark, max(0, width))
    return set_cell_size(text, room).rstrip() + mark



def clamp(text: str, width: int, lines: int, mark: str = ELLIPSIS) -> str:
    """``text`` wrapped at ``width`` characters in at most ``lines`` lines, the last cut to
    ``width`` cells and ended with ``mark`` if anything was left out."""
    import textwrap

    if width <= 0 or lines <= 0:
        return ""
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    rest = " ".join(wrapped[lines - 1:])  # more than one line's worth: cut, it shows the mark
    return "\n".join([*wrapped[:lines - 1], cut(rest, width, mark)])

def fold_drawn(text: str) -> str:
    """:func:`fold_cells` for text as drawn, where an ellipsis marks text cut to fit (Rich's and
    Textual's overflow): it becomes ``...`` over itself and the two cells before it, so cut text
    still ends in a mark that reads as one. The width does not change."""
    if ELLIPSIS not in text:
        return fold_cells(text)
    parts = [fold_cells(part) for part in text.split(ELLIPSIS)]
    out = parts[0]
    for part in parts[1:]:
        keep = max(0, len(out) - 2)
        out = out[:keep] + ASCII_ELLIPSIS[-(len(out) - keep + 1):] + part
    return out


def fold_markdown(text: str) -> str:
    """Markdown in ASCII: as :func:`fold`, but a middle dot outside code becomes an escaped ``\\*``
    (two products on a line, αA·N = βB·D, would otherwise open emphasis at the first * and eat
    both signs)."""
    if text.isascii():
        return text
    parts = text.split("`")  # even parts lie outside code spans and fences
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("·", "\\*")
    return fold("`".join(parts))


def fold_model(obj: Any) -> Any:
    """A copy of a (frozen) dataclass tree with every string folded; paths and numbers untouched.
    A field whose metadata says ``fold="markdown"`` holds Markdown and is folded as such."""
    if isinstance(obj, str):
        return fold(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            how = f.metadata.get("fold", True)
            if f.init and how:
                value = getattr(obj, f.name)
                changes[f.name] = fold_markdown(value) if how == "markdown" and isinstance(value, str) else fold_model(value)
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, tuple):
        return tuple(fold_model(x) for x in obj)
    if isinstance(obj, list):
        return [fold_model(x) for x in obj]
    if isinstance(obj, dict):
        return {k: fold_model(v) for k, v in obj.items()}
    return obj
