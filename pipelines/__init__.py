"""The only layer that writes dlt: connector pages and compiled mappings into the warehouse."""

import os

# dlt warns on every load that Arrow nullability differs from its hints; intsync sets the hints
# deliberately, so only dlt's errors are worth a person's attention.
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")

# Each loader stages its merges in a dataset of its own (warehouse.destinations); emptied after
# every load, those copies do not keep a second set of each integration's rows.
os.environ.setdefault("LOAD__TRUNCATE_STAGING_DATASET", "true")

# dlt keeps every loaded package's data files (about 120 MB after a first sync of 200,000
# charges, and more with every sync) unless told to delete them once they are loaded.
os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")

# dlt reports every pipeline run to its makers' telemetry service unless told not to: a venue's
# warehouse loads are nobody else's business, and intsync makes no calls its operators did not ask
# for. An operator's own RUNTIME__DLTHUB_TELEMETRY still wins.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
