"""Key names drawn in the glyph set in use: under --ascii (and LANG=C, which means --ascii) enter
is `enter`, escape `esc`, arrows are words; never a glyph that is also another key (a folded ⏎
would be `?`, the help key)."""

from __future__ import annotations

from textual.binding import Binding

from lmtui.tui import keys
from lmtui.tui.app import LmtuiApp
from lmtui.tui.textual_fixes import LeanFooter


def shown(app, key: str) -> str:
    return app.get_key_display(Binding(key, "bell"))


async def test_ascii_key_names_are_words_and_never_another_key():
    app = LmtuiApp(ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert [shown(app, k) for k in ("enter", "escape", "up", "down", "left", "right", "backspace")] == [
            "enter", "esc", "up", "down", "left", "right", "backspace"]
        assert shown(app, "question_mark") == "?"
        for _, group in keys.bindings():
            for binding in group:
                for key in binding.key.split(","):
                    display = app.get_key_display(Binding(key, "bell", key_display=binding.key_display))
                    assert display.isascii(), (binding.id, key, display)
                    assert display != "?" or key == "question_mark", (binding.id, key)
        await pilot.press("n", "f", "f")  # a simulation: its footer offers enter to type a value
        for _ in range(30):
            await pilot.pause(0.1)
            if type(app.focused).__name__ == "ParamRow":
                break
        await pilot.pause()
        footer = [(k.key_display, k.description) for k in app.screen.query_one(LeanFooter).children
                  if getattr(k, "description", None)]
        assert ("enter", "Type") in footer, footer
        assert all(display.isascii() for display, _ in footer)


async def test_unicode_key_names_stay_glyphs():
    app = LmtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert shown(app, "enter") == "⏎" and shown(app, "left") == "←"
