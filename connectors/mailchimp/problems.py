"""Mailchimp's error bodies (`application/problem+json`) in one line for an error message.

Mailchimp answers errors with `{"type", "title", "status", "detail", "instance"}`; the SDK hands
the same JSON as a raw string in `ApiClientError.text`. Both go through `problem_message`.
"""

from __future__ import annotations

from typing import Any

import orjson


def problem_message(text: Any) -> str:
    """`"Resource Not Found: The requested resource could not be found."` from a problem body;
    the start of the text itself when it is not one."""
    if isinstance(text, dict):
        problem = text
    else:
        raw = str(text or "").strip()
        try:
            problem = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw[:200]
    if not isinstance(problem, dict):
        return str(problem)[:200]
    title = str(problem.get("title") or "").strip()
    detail = str(problem.get("detail") or "").strip()
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        fields = ", ".join(
            f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict)
        )
        detail = f"{detail} ({fields})" if detail else fields
    return ": ".join(part for part in (title, detail) if part)
