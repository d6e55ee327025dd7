"""The chunker registry (`chunkers.core.registry`) is the one list of chunkers: every registered chunker has its
engine class, its two faces on that class, its place in routing and in ``chunkers eval``, and is covered by the
property tests and the contract sweeps; nothing is exported or routed that is not registered."""

from __future__ import annotations

import inspect

import chunkers
import pytest
import test_contracts
from chunker_cases import CASES
from chunkers.apps.evaluation.candidates import Registry
from chunkers.apps.routing import METHODS, ROUTED, TEXT_METHODS
from chunkers.core.lazy import import_object
from chunkers.core.registry import CHUNKERS, Registered

import langchain_chunkers
import llama_chunkers


@pytest.mark.parametrize("entry", CHUNKERS, ids=lambda entry: entry.method)
def test_each_registered_chunker_is_wired_everywhere(entry: Registered) -> None:
    engine = import_object(entry.engine)
    assert getattr(chunkers, entry.class_name) is engine  # the engine's public name
    node_parser = getattr(llama_chunkers, entry.node_parser)
    text_splitter = getattr(langchain_chunkers, entry.text_splitter)
    assert node_parser.engine is engine and text_splitter.engine is engine
    assert (entry.method in METHODS) == entry.command
    assert entry.method in (ROUTED if entry.routing == "file" else TEXT_METHODS)
    if entry.evaluate is not None:
        assert entry.method in Registry().candidates()
        assert set(entry.evaluate(400)) <= set(inspect.signature(engine).parameters)
    # covered by the property tests and by both frameworks' contract sweeps
    assert any(type(case.make()) is engine for case in CASES)
    assert node_parser in {face for face, _, _ in test_contracts.LLAMA_FACES}
    assert text_splitter in {face for face, _, _ in test_contracts.LANGCHAIN_FACES}


def test_only_registered_chunkers_have_faces() -> None:
    """A face class of a chunker that is not registered would be exported by hand: there is none."""
    registered = {import_object(entry.engine) for entry in CHUNKERS}
    for package in (llama_chunkers, langchain_chunkers):
        for name in package.__all__:
            engine = getattr(getattr(package, name), "engine", None)
            assert engine is None or engine in registered, f"{package.__name__}.{name} wraps an unregistered chunker"
