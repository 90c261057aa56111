"""gunicorn entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

import gc

from lms_bridge.app import create_app

app = create_app()

# Everything built so far (modules, SQLAlchemy metadata, schemas, the policy) lives as long as
# the worker. Python's full collections scanned those ~125,000 objects for 70-100 ms each,
# stalling every request on the worker while they ran; frozen, they are never scanned again,
# and a full collection only looks at what requests created.
gc.collect()
gc.freeze()
