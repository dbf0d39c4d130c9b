"""NeuroPilot: an inventory-management API on PostgreSQL with row-level security."""

__version__ = "0.1.0"
