"""The headless core: the course model and its loader, caches, the learner's record and its
progress store, settings, ASCII folding and chart rendering. Nothing here imports Textual."""
