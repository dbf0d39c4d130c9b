"""Spreadsheets (CONTRACT §16): every list and report as CSV (export.py), items and supplier price
lists from CSV (reader.py parses and locates problems by line; items.py, supplier_items.py upsert)."""
