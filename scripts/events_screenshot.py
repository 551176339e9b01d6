"""Screenshots of changes arriving by event (SPEC §10), as `make demo` shows them: the dashboard
with events live and the Changes feed with the event run's revisions. The two event shots of
scripts/screenshots.py, which takes the same options.

    .venv/bin/python scripts/events_screenshot.py [--out screenshots] [--size 110x32]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import main

if __name__ == "__main__":
    sys.exit(main([*sys.argv[1:], "events-dashboard", "events-changes"]))
