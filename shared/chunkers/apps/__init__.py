"""Applications over the engine: the ``chunkers`` command (`cli` and its commands), which chunker a file gets
(`routing`) and chunking a corpus on Ray (`distributed`)."""
