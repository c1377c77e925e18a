"""Quickbooks connector."""
