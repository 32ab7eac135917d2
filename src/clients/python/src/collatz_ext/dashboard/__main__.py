"""``python -m collatz_ext.dashboard [streamlit options]``: the same as ``collatz-ext-dashboard``."""

import sys

from . import main

sys.exit(main())
