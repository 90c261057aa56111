"""Downloads: every table a page shows, as CSV and XLSX (:mod:`lms_bridge.exports.tables`)."""

from lms_bridge.exports.tables import Cell, Table, as_csv, as_xlsx, neutralise

__all__ = ["Cell", "Table", "as_csv", "as_xlsx", "neutralise"]
