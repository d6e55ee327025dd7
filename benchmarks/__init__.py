"""Side-by-side benchmarks of rag-chunkers against peer libraries (not part of the installed package)."""
