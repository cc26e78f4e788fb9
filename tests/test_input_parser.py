"""The input parser lmtui runs under Textual's driver (lmtui.tui.textual_fixes.PasteSafeParser): what
a terminal sends, byte chunk by byte chunk, and the keys the app sees."""

from __future__ import annotations

import time

import pytest

from lmtui.tui.textual_fixes import PASTE_STALL, PasteSafeParser


def keys(events) -> list[str]:
    return [getattr(e, "key", type(e).__name__) for e in events]


def feed_reads(*reads: str) -> list[str]:
    parser = PasteSafeParser()
    out: list[str] = []
    for chunk in reads:
        out += keys(parser.feed(chunk))
    time.sleep(0.15)  # past ESCDELAY: anything still pending comes out on the next tick
    out += keys(parser.tick())
    return out


def test_escape_then_q_in_separate_reads_are_two_keys():
    # a busy app's input thread reads the escapes late, all at once; q comes in the next read
    assert feed_reads("l\x1b\x1b\x1b", "q") == ["l", "escape", "escape", "escape", "q"]
    assert feed_reads("\x1b", "q") == ["escape", "q"]


def test_alt_key_written_as_one_chunk_stays_alt():
    assert feed_reads("\x1bq") == ["alt+q"]


@pytest.mark.parametrize("reads, expected", [
    (("\x1b", "[A"), ["up"]),  # a cursor key split by a slow link
    (("\x1b", "OP"), ["f1"]),
    (("\x1b", "\x1b", "[B"), ["escape", "down"]),
    (("\x1b[", "5~"), ["pageup"]),
])
def test_sequences_split_across_reads_still_parse(reads, expected):
    assert feed_reads(*reads) == expected


def test_an_unfinished_paste_is_closed_by_a_lone_escape():
    out = feed_reads("\x1b[200~junk", "\x1b", "q")
    assert out[-2:] == ["escape", "q"]
    assert "Paste" in out


def test_an_unfinished_paste_is_closed_after_a_stall(monkeypatch):
    parser = PasteSafeParser()
    assert "Paste" not in keys(parser.feed("\x1b[200~junk"))
    parser._last_input -= PASTE_STALL + 0.1  # as if the link went quiet
    assert "Paste" in keys(parser.tick())
    assert keys(parser.feed("q")) == ["q"]
