"""Keys that arrive together (typed ahead, over SSH, through tmux: several keys in one read) do
exactly what the same keys typed one by one do. Two copies of the app run side by side in real
pseudo-terminals; one gets each burst in a single write, the other key by key, and after every
burst the two screens must be the same. (The cause, Textual handing on keys before the key before
has acted, and its work-around are in lmtui/tui/textual_fixes.py, "keys-overtake-each-other".)

The test starts four apps in ptys and waits for them to settle after every key, which makes it one
of the slower tests.
"""

from __future__ import annotations

import time

import pytest

from ptysession import PtySession, lmtui_argv

DOWN, UP, ENTER, BACKSPACE = "\x1b[B", "\x1b[A", "\r", "\x7f"

# (keys sent one at a time to both apps first, the keys of the burst, what must be on screen after)
STEPS: list[tuple[list[str], list[str], str]] = [
    ([], ["j"] * 10, "t:Text]"),  # ten scroll keys in the text
    (["n", "f", "f"], [DOWN] * 4, "walkers: number"),  # four rows down the parameter list, to walkers
    ([ENTER, *"1234", ENTER, ENTER], [BACKSPACE, BACKSPACE, "7", "8", ENTER], "walkers     78"),  # a field holding 1234
    ([], ["k", "j", "j", ENTER, BACKSPACE, "5", "0", "0", ENTER], "steps       500"),  # rows, and a new value
    ([], [ENTER, *[BACKSPACE] * 8, *"00000000000000000250", ENTER], "steps       250"),  # thirty keys in one read
    ([], ["t", "j", "j", "z", "j", "j", "f", UP, "t", "]", "j", " ", " "], "t:Text]"),  # across the views
    (["n"], ["z", "j", "j", "j", "j", "j"], "z:Quiz]"),  # a quiz shown the first time: its cards are still mounting
]


def start(tmp_path, name: str, cols: int, rows: int) -> PtySession:
    home = tmp_path / name
    return PtySession(lmtui_argv(), cols=cols, rows=rows,
                      env={"LMTUI_HOME": str(home), "LMTUI_CACHE": str(home / "cache"),
                           "LMTUI_CONFIG": str(home / "none.toml")})


def settle_both(*sessions: PtySession, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Until neither app has written anything for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < end and time.monotonic() - last < quiet:
        if sum(s.pump(0.02) for s in sessions):
            last = time.monotonic()


def started(tmp_path, name: str) -> PtySession:
    """One app at 80x24, its first screen shown and settled."""
    s = start(tmp_path, name, 80, 24)
    assert s.wait_for("t:Text", timeout=30) is not None, s.text()
    settle_both(s)
    return s


SIZES = [(80, 24), (120, 40)]


def test_a_burst_of_keys_shows_what_the_keys_one_by_one_show(tmp_path):
    """At 80x24 and 120x40 at once (four apps, driven in step: the waits overlap)."""
    together = [start(tmp_path, f"together-{c}x{r}", c, r) for c, r in SIZES]
    one_by_one = [start(tmp_path, f"apart-{c}x{r}", c, r) for c, r in SIZES]
    every = together + one_by_one
    try:
        for s in every:
            assert s.wait_for("t:Text", timeout=30) is not None, s.text()
        settle_both(*every)
        for setup, burst, expect in STEPS:
            for key in setup:
                for s in every:
                    s.send(key)
                settle_both(*every)
            for s in together:
                s.send("".join(burst))  # one write: the app reads them together
            for key in burst:
                for s in one_by_one:
                    s.send(key)
                settle_both(*one_by_one, quiet=0.15)
            settle_both(*every)
            for (cols, rows), fast, slow in zip(SIZES, together, one_by_one):
                assert expect in slow.text(), slow.text()
                assert fast.text() == slow.text(), (
                    f"{cols}x{rows}, burst {burst!r}:\n--- in one write:\n{fast.text()}\n--- one by one:\n{slow.text()}")
        assert not any(s.saw_traceback for s in every)
        assert [s.quit() for s in every] == [0] * len(every)
    finally:
        for s in every:
            s.close()


def test_answers_and_moves_read_together_leave_the_marked_question_in_view(tmp_path):
    """``1 j 2 j 4 j 1`` in one read: each answer makes its card taller (the explanation) only once
    laid out, and the move after it must scroll by the new height, not the old, so the question the
    last key answered is on screen with its bar."""
    s = started(tmp_path, "quiz")
    try:
        s.send("z")
        assert s.wait_for("Q1.", timeout=15) is not None, s.text()
        settle_both(s)
        s.send("1j2j4j1")
        settle_both(s)
        screen = s.text()
        marked = [line for line in screen.splitlines() if "Q4." in line]
        assert marked and marked[0].lstrip().startswith("\u2588"), screen  # the focused card's bar
        s.send("k")  # and the keys go on from there: Q3 is marked next
        settle_both(s)
        assert any("Q3." in line and line.lstrip().startswith("\u2588") for line in s.text().splitlines()), s.text()
        assert s.quit() == 0
    finally:
        s.close()


def test_keys_read_with_the_overview_key_move_in_its_list_and_open_the_question(tmp_path):
    """``O j enter`` in one read opens the second missed question, as typed one by one; the j and
    the enter reached the Overview before its list had the focus and were lost."""
    s = started(tmp_path, "overview")
    try:
        s.send("z")
        assert s.wait_for("Q1.", timeout=15) is not None, s.text()
        for key in "1j1j1":  # three first answers, at least two of them wrong: the missed list
            s.send(key)
            settle_both(s)
        s.send("t")
        settle_both(s)
        s.send("Oj\r")
        settle_both(s)
        screen = s.text()
        assert "Overview: where you stand" not in screen and "[z:Quiz]" in screen, screen
        marked = [line for line in screen.splitlines() if line.lstrip().startswith("\u2588 Q")]
        assert marked and not marked[0].lstrip().startswith("\u2588 Q1."), screen  # the second missed one
        assert s.quit() == 0
    finally:
        s.close()


def test_keys_read_with_z_answer_the_first_question_and_move_on(tmp_path):
    """``z 1 j`` in one read, the quiz shown for the first time: the 1 answers Q1 and the j marks
    Q2 (they went to the text hidden behind the quiz while its cards were being made)."""
    s = started(tmp_path, "z")
    try:
        s.send("z1j")
        settle_both(s)
        assert any(line.lstrip().startswith("\u2588 Q2.") for line in s.text().splitlines()), s.text()
        s.send("k")
        settle_both(s)
        screen = s.text()
        assert any(line.lstrip().startswith("\u2588 Q1.") for line in screen.splitlines()), screen
        assert "(your answer" in screen, screen
        assert s.quit() == 0
    finally:
        s.close()


def test_keys_read_with_the_f_that_first_shows_a_simulation_reach_its_parameters(tmp_path):
    """``f down down right`` in one read, the figure shown for the first time: the pane marks
    init_scale and steps it (the first down went to the text hidden behind the figure, and init
    was stepped instead)."""
    s = started(tmp_path, "figure")
    try:
        for key in "nn":
            s.send(key)
            settle_both(s)
        s.send("f" + DOWN + DOWN + "\x1b[C")
        assert s.wait_for("init_scale 0.01", timeout=20) is not None, s.text()
        settle_both(s)
        assert "init       aligned" in s.text(), s.text()
        assert s.quit() == 0
    finally:
        s.close()


def test_keys_read_with_the_slash_and_the_enter_of_a_search_reach_the_field_and_the_page(tmp_path):
    """``/ theory enter n`` in one read: the word is typed whole (its first letters went to the
    page before the field had the focus: s ran nothing, c opened the contents) and the n goes to
    the next match (it was typed into the field after the enter)."""
    s = started(tmp_path, "search")
    try:
        s.send("/theory\rn")
        settle_both(s)
        screen = s.text()
        assert "/ theory " in screen and "match 2/" in screen, screen
        s.send("\x1b")
        settle_both(s)
        s.send("/scaling\rN")  # the bar made already: the same
        settle_both(s)
        screen = s.text()
        assert "/ scaling " in screen and "match 1/" in screen, screen
        assert s.quit() == 0
    finally:
        s.close()
