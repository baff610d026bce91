"""Every SQL statement of the project: the persister's writes and the query function's reads.

`connection` opens and migrates the database, `writes` (with `writes_list` and `writes_imports`)
holds the one writer's statements, `reads` the query function's.
"""

from watcharr.adapters.store.connection import BUSY_TIMEOUT_MS, Row, connect_reader, connect_writer, migrate
from watcharr.adapters.store.reads import ReadStore
from watcharr.adapters.store.writes import WriteStore
from watcharr.adapters.store.writes_imports import IMPORT_COUNTS

__all__ = [
    "BUSY_TIMEOUT_MS",
    "IMPORT_COUNTS",
    "ReadStore",
    "Row",
    "WriteStore",
    "connect_reader",
    "connect_writer",
    "migrate",
]
