"""`make demo`: chunk every file under a folder with the default chunkers and print a summary table.

Code files go to the AST chunker (cAST), prose to the default prose chunker, exactly as
`chunkers chunk FOLDER --format table` does.
"""

from __future__ import annotations

import sys
import time

from chunkers.apps.cli import main

if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "examples/data"
    started = time.perf_counter()
    code = main(["chunk", folder, "--format", "table", "--no-progress"])
    print(f"done in {time.perf_counter() - started:.1f} s")
    sys.exit(code)
