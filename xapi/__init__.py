"""The xAPI specification (1.0.3 and 2.0.0 / IEEE 9274.1.1) as pure Python.

Nothing here knows about Flask or a database: each module is one concept of the
specification and can be read beside it.
"""
