"""warehouse."""

# the engines' classes, which `warehouse.destinations.Warehouse(url)` makes
import warehouse.engines  # noqa: F401
