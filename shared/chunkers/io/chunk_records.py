"""Reading the chunk records ``chunkers chunk`` writes (JSON Lines, one chunk per line), with errors that name the
input and the line: used by ``chunkers filter`` (`chunkers.apps.cli_filter`) and by the evaluation's JSONL documents
(`chunkers.apps.evaluation.documents`)."""

from __future__ import annotations

import json
from typing import Any

from ..core.base import validate_text


class InputError(ValueError):
    """Bad chunks JSONL: the message names the input and the line."""


def read_chunk_records(lines: Any, name: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for every non-blank line of a chunks JSONL stream (as ``chunkers chunk``
    writes it; lines as ``str`` or UTF-8 ``bytes``); each record must be a JSON object with a string ``text``.
    Raises `InputError` naming the line."""
    records = []
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name} line {number}: not UTF-8 (byte {line[exc.start]:#x} at column {exc.start + 1})"
                ) from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise InputError(f"{name} line {number}: expected a JSON object, got {type(record).__name__}")
        if "text" not in record:
            raise InputError(f'{name} line {number}: the object has no "text" field')
        try:
            validate_text(record["text"])
        except (TypeError, ValueError) as exc:
            raise InputError(f'{name} line {number}: "text": {exc}') from None
        records.append((number, record))
    return records
