"""Opening a store in a process that has the same SQLite file open already (the console's store and
a command's, a sync's store and a test's check) loses nothing: opening it must not drop the locks
the process holds on the file, or another process closing its connection believes it is the last
one and deletes the WAL under the first store's feet (writes lost, 'disk I/O error')."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui_inventory.store.repo import Store

OPEN_AND_CLOSE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("SELECT count(*) FROM probe").fetchone()
conn.close()
"""

READ = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(sorted(x for (x,) in conn.execute("SELECT x FROM probe")))
conn.close()
"""


def run(script: str, db: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, str(db)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_second_store_on_the_same_file_keeps_the_first_ones_writes(tmp_path: Path) -> None:
    db = tmp_path / "inventory.db"
    first = Store(str(db))
    try:
        first.db.execute_sql("CREATE TABLE probe (x TEXT)")
        first.db.execute_sql("INSERT INTO probe VALUES ('before')")
        Store(str(db)).close()  # a second store in this process, while the first is open
        run(OPEN_AND_CLOSE, db)  # another process's connection comes and goes
        first.db.execute_sql("INSERT INTO probe VALUES ('after')")
        # Another process sees that write: it is in the file's WAL, not in one deleted meanwhile.
        assert run(READ, db) == "['after', 'before']"
    finally:
        first.close()
    assert run(READ, db) == "['after', 'before']"
