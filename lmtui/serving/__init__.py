"""Serving the app to a room: `lmtui serve` (one app process per browser visitor) and its page."""
