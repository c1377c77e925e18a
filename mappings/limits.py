"""Bounds on what a spec may hold, so that any spec, however hostile, is read and refused in
bounded time and memory (docs/mappings.md, Validation). Checked while validating only: a
compiled mapping never looks at them."""

from __future__ import annotations

MAX_SPEC_BYTES = 1024 * 1024  # one YAML file
MAX_YAML_DEPTH = 32  # lists and mappings inside each other
MAX_YAML_VALUES = 20_000  # values in a file, each use of an alias (*name) counting as a copy
MAX_EXPRESSION_CHARS = 4096  # one expression (`expr:`, `where:`)
MAX_EXPRESSION_TOKENS = 500  # names, literals and operators in one expression
MAX_EXPRESSION_DEPTH = 48  # parentheses, calls and operators inside each other
MAX_NUMBER_DIGITS = 40  # digits of a number written in an expression
MAX_ROUND_DIGITS = 18  # round(x, n): n from -18 to 18, written as a whole number
MAX_PATH_SEGMENTS = 32  # keys and indexes in one path
MAX_INDEX_DIGITS = 9  # digits of a list index in a path (`lines[123456789]`)
