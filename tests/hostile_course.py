"""A course folder written by an attacker: terminal escapes in every field a learner sees, raw in
Markdown, as TOML escapes in TOML, and in a file name. Built in a test's tmp folder (a file name
holding ESC does not belong in the repository)."""

from __future__ import annotations

from pathlib import Path

# What each escape would do if it reached a terminal: set the clipboard (OSC 52), retitle the
# window (OSC 0), move the cursor and clear the screen (CSI), a device control string (DCS), and
# the C1 form of CSI.
RAW = ["\x1b]52;c;aGFja2Vk\x1b\\", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\x1bP1$qm\x1b\\", "\x9b31m"]
TOML = [r"\u001b]52;c;aGFja2Vk\u001b\\", r"\u001b]0;pwned\u0007", r"\u001b[2J\u001b[H", r"\u001bP1$qm\u001b\\",
        r"\u009b31m"]

CHAPTER = """+++
id = "first"
title = "First {t0} title"
order = 1
figures = ["explorer:eras", "sim:implicit_regularization"]
summary = "Summary {t1}"
+++

Body text {r0} with a clipboard write.

## Heading {r1}

More text {r2} and a table:

| a | b {r3} |
|---|---|
| 1 | 2 |
"""

QUIZ = """[[question]]
id = "q1"
prompt = "Prompt {t0}?"
choices = ["Choice {t1}", "Plain"]
answer = 1
explanation = "Explanation {t2}"

[[question]]
id = "p1"
kind = "predict"
prompt = "Predict {t3}"
sim = "implicit_regularization"
metric = "sharpness_flow"
unit = "units {t4}"
tolerance = {{ relative = 0.5 }}
explanation = "Why."
"""

FIGURE = """title = "Figure {t0}"
hint = "Hint {t1}"
[[item]]
label = "Label {t2}"
summary = "Summary {t3}"
detail = "Detail {t4}"
"""

SECOND = """+++
id = "second"
title = "Second"
order = 2
+++

A chapter whose file name holds an escape.
"""

SECOND_QUIZ = """[[question]]
id = "q1"
prompt = "Plain?"
choices = ["Yes", "No"]
answer = 1
explanation = "Plain."
"""

# Lines holding an escape: chapter title, summary, body x3, table; quiz prompt, choice,
# explanation, predict prompt, unit; figure title, hint, label, summary, detail; a file name (chapter and quiz).
PLACES = 6 + 5 + 5 + 2
FILE_NAME = "02-second\x1b]0;pwned\x07"


def write_hostile_course(root: Path) -> Path:
    """The hostile course in ``root`` (created); returns ``root``."""
    fields = {f"t{i}": v for i, v in enumerate(TOML)} | {f"r{i}": v for i, v in enumerate(RAW)}
    (root / "figures").mkdir(parents=True)
    (root / "01-first.md").write_text(CHAPTER.format(**fields), encoding="utf-8")
    (root / "01-first.quiz.toml").write_text(QUIZ.format(**fields), encoding="utf-8")
    (root / "figures" / "eras.toml").write_text(FIGURE.format(**fields), encoding="utf-8")
    (root / f"{FILE_NAME}.md").write_text(SECOND, encoding="utf-8")
    (root / f"{FILE_NAME}.quiz.toml").write_text(SECOND_QUIZ, encoding="utf-8")
    return root
