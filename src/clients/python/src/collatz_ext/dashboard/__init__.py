"""A live Streamlit dashboard over collatz_ext's views: ``pip install 'collatz_ext[dashboard]'``.

Run it with ``collatz-ext-dashboard [streamlit options]`` (or ``python -m collatz_ext.dashboard``,
or ``streamlit run`` on :data:`APP_PATH`). It connects with the package's usual settings
(``COLLATZ_DSN_<ENV>`` with ``COLLATZ_ENV``, ``COLLATZ_DSN``, or libpq's ``PG*`` variables) as a
role with the 'read' level of ``collatz.collatz_grant``, and reads only the views.

The page is :mod:`collatz_ext.dashboard.app`; its queries are :mod:`collatz_ext.dashboard.queries`.
This module imports neither, so the package works without Streamlit installed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

#: The Streamlit script of the dashboard.
APP_PATH = Path(__file__).with_name("app.py")


def main(argv: Sequence[str] | None = None) -> int:
    """``collatz-ext-dashboard [options]``: ``streamlit run`` on the app; options go to streamlit."""
    try:
        from streamlit.web import cli as streamlit_cli
    except ImportError:
        print("collatz-ext-dashboard needs Streamlit: pip install 'collatz_ext[dashboard]'", file=sys.stderr)
        return 1
    args = list(sys.argv[1:] if argv is None else argv)
    # Defaults for a dashboard (each one can be given otherwise): no usage statistics sent,
    # no "Deploy" button.
    for option, value in (("--browser.gatherUsageStats", "false"), ("--client.toolbarMode", "minimal")):
        if not any(a == option or a.startswith(option + "=") for a in args):
            args += [option, value]
    # Click's standalone mode: exits with streamlit's own status (and prints its usage errors).
    streamlit_cli.main(args=["run", str(APP_PATH), *args], prog_name="collatz-ext-dashboard")
    return 0


__all__ = ["APP_PATH", "main"]
