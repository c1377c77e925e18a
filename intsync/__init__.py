"""intsync: keeps a warehouse in step with each venue's provider accounts."""

__version__ = "0.1.0"
