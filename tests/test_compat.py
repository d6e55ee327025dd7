"""The module paths of 0.1 keep working for one release: each forwards to its new home, with a warning."""

from __future__ import annotations

import importlib
import sys

import chunkers
import pytest
from chunkers.compat import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_still_imports_and_says_where_it_went(old: str) -> None:
    sys.modules.pop(f"chunkers.{old}", None)
    homes = (MOVED[old],) if isinstance(MOVED[old], str) else MOVED[old]
    with pytest.warns(DeprecationWarning, match=" and ".join(f"chunkers.{home}" for home in homes)):
        module = importlib.import_module(f"chunkers.{old}")
    for home in homes:  # every public name of each new home (the first home wins a name two of them have)
        new = importlib.import_module(f"chunkers.{home}")
        public = [name for name in vars(new) if not name.startswith("_")]
        first = [importlib.import_module(f"chunkers.{h}") for h in homes[: homes.index(home)]]
        mine = [name for name in public if not any(hasattr(m, name) for m in first)]
        assert public and all(getattr(module, name) is getattr(new, name) for name in mine)


def test_a_moved_name_of_a_package_still_imports_and_says_where_it_went() -> None:
    with pytest.warns(DeprecationWarning, match="chunkers.code.chunk_directory moved to chunkers.apps.local"):
        from chunkers.code import chunk_directory
    from chunkers import chunk_directory as moved

    assert chunk_directory is moved


def test_the_users_old_imports_give_the_same_objects() -> None:
    sys.modules.pop("chunkers.distributed", None)
    sys.modules.pop("chunkers.perplexity", None)
    with pytest.warns(DeprecationWarning):
        from chunkers.distributed import chunk_dataset
        from chunkers.perplexity import PerplexityChunker
    from chunkers.apps.ray import chunk_dataset as moved

    assert PerplexityChunker is chunkers.PerplexityChunker and chunk_dataset is moved
    from chunkers.records import RecordChunker
    from chunkers.runtime import resolve_runtime  # a package now, exporting what the module did

    assert RecordChunker is chunkers.RecordChunker and callable(resolve_runtime)
