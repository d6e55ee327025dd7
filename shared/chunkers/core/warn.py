"""Warnings shown at the user's line: the first caller outside this library's packages."""

from __future__ import annotations

import sys
import warnings

LIBRARY = ("chunkers", "llama_chunkers", "langchain_chunkers")


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first frame outside `LIBRARY` (the framework's, when the call came through
    LlamaIndex or LangChain), so the source line a warning shows is one its reader can find and filter."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in LIBRARY:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
