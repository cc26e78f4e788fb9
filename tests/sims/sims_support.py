"""Tiny settings for every registered simulation: the figure tests' TINY, plus the simulations no
chapter shows yet (a chapter's figures and TINY must match, see tests/test_figures.py)."""

from __future__ import annotations

from figures_support import TINY

NOT_IN_A_CHAPTER_YET: dict[str, dict[str, str]] = {
    # the content writer adds sim:double_descent to chapter 6; then this entry moves to TINY
    "double_descent": {"samples": "20", "max_features": "40", "trials": "50"},
}
SMALL: dict[str, dict[str, str]] = {**NOT_IN_A_CHAPTER_YET, **TINY}
