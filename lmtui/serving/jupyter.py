"""JupyterLab's launcher tile for lmtui, through jupyter-server-proxy (``pip install 'lmtui[jupyter]'``).

jupyter-server-proxy finds :func:`setup_lmtui` by its ``jupyter_serverproxy_servers`` entry point
(pyproject.toml) and shows an "lmtui" tile in the launcher. Opening it starts ``lmtui serve`` for
that user on a free loopback port, behind the user's own Jupyter server (so behind JupyterHub's
login), at ``<the server's base URL>lmtui/``. The proxy removes that prefix before passing requests
on; ``--public-url`` with the prefix lets the page address its files and websocket through it.
``--one-learner``: the user is the learner (no name asked), with progress where the terminal app
keeps it, so ``lmtui report`` and ``lmtui room`` find it as they find terminal users'.
"""

from __future__ import annotations

import sys
from pathlib import Path

NAME = "lmtui"  # the proxy's path under the server's base URL, and the entry point's name
ICON = Path(__file__).parent / "web" / "lmtui-icon.svg"


def setup_lmtui() -> dict:
    return {
        "command": [sys.executable, "-P", "-m", "lmtui", "serve", "--host", "127.0.0.1", "--port", "{port}",
                    "--public-url", "{base_url}" + NAME + "/", "--one-learner"],
        "timeout": 60,
        "absolute_url": False,
        "new_browser_tab": True,
        "launcher_entry": {"enabled": True, "title": "lmtui", "icon_path": str(ICON), "category": "Notebook"},
    }
