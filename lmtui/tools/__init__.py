"""The headless commands: `lmtui check` (and its quiz review), `lmtui report` and `lmtui sim`.
Nothing here imports Textual or the interface."""
