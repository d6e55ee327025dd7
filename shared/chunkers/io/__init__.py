"""Files in and chunk records out: walking folders and reading source files (`files`), and reading the chunk JSONL
that ``chunkers chunk`` writes (`chunk_records`)."""
