"""The only layer that writes dlt: connector pages and compiled mappings into the warehouse."""
