"""The parsed-course cache: read back only when nothing in the folder changed; never in the way."""

from __future__ import annotations

import os

from lmtui.core.course import load_course
from lmtui.core.course_cache import cache_dir


def cached_files():
    folder = cache_dir()
    return sorted(folder.glob("course-*.pickle")) if folder and folder.exists() else []


def test_a_course_is_read_back_until_a_file_changes(mini_course):
    first = load_course(mini_course, cache=True)
    assert len(cached_files()) == 1
    again = load_course(mini_course, cache=True)
    assert again is not first and again == first  # from the cache, the same model
    quiz = mini_course / "01-first.quiz.toml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("What does gradient descent follow?", "Where does GD go?"),
                    encoding="utf-8")
    edited = load_course(mini_course, cache=True)
    assert edited.by_id("first").quiz[0].prompt == "Where does GD go?"
    (mini_course / "03-third.md").write_text("+++\nid = 'third'\ntitle = 'Third'\norder = 3\n+++\nText.\n", encoding="utf-8")
    assert [c.id for c in load_course(mini_course, cache=True).chapters] == ["first", "second", "third"]
    (mini_course / "03-third.md").unlink()
    assert [c.id for c in load_course(mini_course, cache=True).chapters] == ["first", "second"]
    assert load_course(mini_course, cache=True) == load_course(mini_course)  # as parsed


def test_a_broken_or_unwritable_cache_is_never_in_the_way(mini_course, monkeypatch, tmp_path):
    load_course(mini_course, cache=True)
    (target,) = cached_files()
    target.write_bytes(b"not a pickle")
    assert load_course(mini_course, cache=True) == load_course(mini_course)
    assert target.read_bytes() != b"not a pickle"  # replaced
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("LMTUI_CACHE", str(blocker / "cache"))  # cannot be made
    assert load_course(mini_course, cache=True) == load_course(mini_course)
    monkeypatch.setenv("LMTUI_CACHE", "off")
    assert cache_dir() is None and load_course(mini_course, cache=True) == load_course(mini_course)


def test_problems_come_back_from_the_cache_too(mini_course):
    (mini_course / "03-broken.md").write_text("no header\n", encoding="utf-8")
    parsed = load_course(mini_course, cache=True)
    cached = load_course(mini_course, cache=True)
    assert [str(p) for p in cached.problems] == [str(p) for p in parsed.problems] != []
    os.utime(mini_course / "03-broken.md", ns=(1, 1))  # only the time changed: parsed again, same result
    assert load_course(mini_course, cache=True) == parsed
