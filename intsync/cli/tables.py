"""Tables for people and for pipes: fitted to a terminal, complete anywhere else.

On a terminal rich fits the columns to its width. Piped to a file or `grep`, rich would assume
80 columns, cut every value with `…` and wrap long messages a word per line; there the table is
plain text instead, every value whole and every row one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.table import Table

from intsync.cli.progress import console


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], wrap: Sequence[str] = ()
) -> None:
    """Print `rows` under `headers`: fitted on a terminal (only the `wrap` columns wrap, the
    others stay on one line), whole values otherwise."""
    if sys.stdout.isatty():
        table = Table(box=None, header_style="bold", pad_edge=False)
        for name in headers:
            table.add_column(name, no_wrap=name not in wrap, ratio=1 if name in wrap else None)
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    sys.stdout.write(plain_table(headers, rows))


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest value, two spaces apart, one line per row; line breaks
    inside a value become spaces."""
    cells = [list(headers)] + [[" ".join(str(v).split()) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    return "\n".join(lines) + "\n"
