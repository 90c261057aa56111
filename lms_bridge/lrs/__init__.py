"""Storing and querying statements; documents and attachments come beside them."""
