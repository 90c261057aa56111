"""Alembic environment: migrations run on the connection the CLI hands over.

``lms-bridge db upgrade`` opens the application's engine and passes its connection in
``config.attributes["connection"]``, so Alembic always migrates the database the service uses.
"""

from alembic import context

import lms_bridge.models  # noqa: F401  (registers every table on the metadata)
from lms_bridge.db import db

target_metadata = db.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `lms-bridge db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
