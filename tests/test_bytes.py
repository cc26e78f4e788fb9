"""Any byte sequence from the terminal is survivable: bytes that are not UTF-8 (each of 0x80-0xFF,
random binary) are dropped, the app keeps answering its keys, and q still quits with status 0.
(The strict decoder in Textual's input thread and its work-around: lmtui/tui/textual_fixes.py,
"undecodable-input-ends-the-app".) One app in a pty, fed every high byte (a key after each), then random binary."""

from __future__ import annotations

import random

from ptysession import PtySession, lmtui_argv

# bytes that quit, suspend or interrupt on purpose (q, ctrl+c, ctrl+q, ctrl+d, ctrl+z, ctrl+\)
QUITTING = set(b"q\x03\x11\x04\x1a\x1c")


def test_every_high_byte_and_random_binary_between_keys(tmp_path):
    session = PtySession(lmtui_argv(), cols=80, rows=24, env={"LMTUI_HOME": str(tmp_path)})
    try:
        assert session.wait_for("t:Text", timeout=30) is not None, session.text()
        for byte in range(0x80, 0x100):
            session.send_bytes(bytes([byte]))
            session.send_bytes(b"j" if byte % 2 else b"k")  # a key after each: it still counts
            session.pump(0.005)
        assert session.alive(), session.text()
        rng = random.Random(20)
        for _ in range(40):
            junk = bytes(b for b in rng.randbytes(48) if b not in QUITTING)
            session.send_bytes(junk)
            session.send_bytes(b"\x1b")  # whatever the junk opened, escape closes
            session.pump(0.02)
        assert session.alive(), session.text()
        session.settle(0.5)
        for _ in range(3):
            session.send("\x1b")
            session.settle(0.3)
        session.send("z")  # the keys still act
        assert session.wait_for("Q1.", timeout=15) is not None, session.text()
        assert not session.saw_traceback, session.text()
        assert session.quit() == 0
    finally:
        session.close()
