"""Finished probes, kept runnable: each answered one question, and its answer stays in benchmarks/results/ (see
README.md here). They are not part of the living benchmarks."""
