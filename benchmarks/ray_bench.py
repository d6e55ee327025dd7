"""Scaling of the Ray Data stage (chunkers.apps.ray) on this machine: documents/s and MB/s for plain
`chunk_many` in one process and for 1 and 2 Ray workers, each worker given one CPU and one torch thread.

    python -m benchmarks.ray_bench                      # both parts, writes benchmarks/results/ray_scaling.md
    python -m benchmarks.ray_bench --ast-mb 20 --ppl-kb 200 --only ppl

- AST: ASTChunker (budget 1500) over installed Python source (real code: transformers' 25 MB of .py files, then
  the rest of site-packages for larger sizes), read with Ray's file reader (the same checks as the local path).
- Perplexity: PerplexityChunker (embedded SmolLM2-135M, CPU, float32) over the Chroma corpora prose
  (wikitexts, chatlogs, then pubmed), cut into documents of about 4 KB at line breaks.

Each configuration runs in a fresh process; times include starting the workers and loading the model (in
the plain run: the first import of torch and the model load), not starting Ray itself. Peak memory is the
largest VmHWM of a Ray worker process (or of the plain process). The load average is recorded around each
run: on a shared machine it depresses every figure, the 2-worker run most.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.retrieval_bench import DATA

RESULTS = Path(__file__).parent / "results" / "ray_scaling.md"


def code_files(megabytes: float) -> list[Path]:
    """The first ``megabytes`` of installed Python source: transformers first, then the rest of site-packages
    (sorted paths, files under 1 MB)."""
    import transformers

    package = Path(transformers.__file__).parent
    paths = sorted(package.rglob("*.py"))
    if sum(p.stat().st_size for p in paths) < megabytes * 1e6:
        paths += sorted(p for p in package.parent.rglob("*.py") if package not in p.parents)
    files, total = [], 0
    for path in paths:
        size = path.stat().st_size
        if size > 1_000_000 or "__pycache__" in path.parts:
            continue
        files.append(path)
        total += size
        if total >= megabytes * 1e6:
            break
    return files


def prose_documents(kilobytes: float, doc_chars: int = 4000) -> list[str]:
    """About ``kilobytes`` of prose from the Chroma corpora, as documents of about ``doc_chars`` characters."""
    lines = [
        line
        for name in ("wikitexts.md", "chatlogs.md", "pubmed.md")
        for line in (DATA / "corpora" / name).read_text(encoding="utf-8").splitlines(keepends=True)
    ]
    docs, current, total = [], "", 0
    for line in lines:
        current += line
        if len(current) >= doc_chars:
            docs.append(current)
            total += len(current.encode("utf-8"))
            current = ""
            if total >= kilobytes * 1e3:
                break
    return docs


class WorkerPeak:
    """Polls /proc for Ray chunk workers and keeps each one's peak RSS (VmHWM), in MiB."""

    def __init__(self) -> None:
        self.stale = set(self._workers())  # a previous run's workers still exiting
        self.peaks: dict[int, float] = {}
        self.cpu: dict[int, float] = {}  # CPU seconds (user + system) each worker had used when last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _workers() -> list[str]:
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if b"ChunkWorker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(pid)
            except OSError:
                continue
        return pids

    def _poll(self) -> None:
        while not self._stop.is_set():
            for pid in self._workers():
                if pid in self.stale:
                    continue
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.cpu[int(pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peaks[int(pid)] = max(self.peaks.get(int(pid), 0), int(line.split()[1]) / 1024)
            self._stop.wait(0.5)

    def __enter__(self) -> WorkerPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def own_peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_one(part: str, mode: str, args: argparse.Namespace) -> dict:
    """One configuration, in this (fresh) process."""
    from chunkers import ASTChunker, PerplexityChunker
    from chunkers.io.files import read_source

    load_before = os.getloadavg()[0]
    if part == "ast":
        files = code_files(args.ast_mb)
        size = sum(p.stat().st_size for p in files)
        docs = len(files)
        chunker = ASTChunker(max_size=1500)
    else:
        texts = prose_documents(args.ppl_kb)
        size = sum(len(t.encode("utf-8")) for t in texts)
        docs = len(texts)
        chunker = PerplexityChunker(max_size=1000, device="cpu")
    result: dict = {"part": part, "mode": mode, "documents": docs, "bytes": size}
    if mode == "plain":
        import torch

        torch.set_num_threads(1)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime
        started = time.perf_counter()
        if part == "ast":
            sources = [(p, read_source(p)[0]) for p in files]
            readable = [(p, t) for p, t in sources if t is not None]
            outputs = chunker.chunk_many([t for _, t in readable], [{"file_path": str(p)} for p, _ in readable])
        else:
            outputs = chunker.chunk_many(texts)
        result["seconds"] = time.perf_counter() - started
        result["chunks"] = sum(map(len, outputs))
        result["peak_mib"] = [round(own_peak_mib())]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["cpu_s"] = [round(usage.ru_utime + usage.ru_stime - cpu_before, 1)]
        result["torch_threads"] = torch.get_num_threads()
    else:
        import ray
        from chunkers.apps import ray as distributed

        workers = int(mode.removeprefix("ray"))
        distributed.init_ray(num_cpus=workers, object_store_memory=500 * 1024 * 1024)
        ray.data.DataContext.get_current().enable_progress_bars = False
        with WorkerPeak() as peak:
            started = time.perf_counter()
            if part == "ast":
                dataset = distributed.chunk_files(
                    [str(p) for p in files], chunker, concurrency=workers, num_blocks=workers * 16, batch_size=16
                )
            else:
                rows = [{"doc_id": i, "text": t} for i, t in enumerate(texts)]
                dataset = distributed.chunk_dataset(
                    ray.data.from_items(rows, override_num_blocks=max(1, len(rows) // args.docs_per_block)),
                    chunker,
                    concurrency=workers,
                    batch_size=args.docs_per_block,
                )
            chunks, first = 0, None
            for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
                first = first or time.perf_counter() - started
                chunks += sum(1 for i in batch.column("chunk_index").to_pylist() if i >= 0)
            result["seconds"] = time.perf_counter() - started
            result["first_rows_s"] = first
        result["chunks"] = chunks
        result["peak_mib"] = sorted(round(v) for v in peak.peaks.values())
        result["cpu_s"] = sorted(round(v, 1) for v in peak.cpu.values())
        ray.shutdown()
    result["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def table(results: list[dict]) -> list[str]:
    by = {(r["part"], r["mode"]): r for r in results}
    lines = [
        "| part | run | documents | MB | chunks | seconds | first rows after (s) | documents/s | MB/s | CPU s per worker | peak RSS per worker (MiB) | load 1-min before/after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        mb = r["bytes"] / 1e6
        first = f"{r['first_rows_s']:.1f}" if r.get("first_rows_s") else "-"
        cells = [
            r["part"], r["mode"], r["documents"], f"{mb:.2f}", r["chunks"], f"{r['seconds']:.1f}", first,
            f"{r['documents'] / r['seconds']:.3g}", f"{mb / r['seconds']:.3g}", ", ".join(map(str, r.get("cpu_s", []))) or "-",
            ", ".join(map(str, r["peak_mib"])),
            f"{r['load'][0]} / {r['load'][1]}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    lines.append("")
    for part in ("ast", "ppl"):
        plain, one, two = by.get((part, "plain")), by.get((part, "ray1")), by.get((part, "ray2"))
        if one and two:
            lines.append(f"- {part}: 2 workers / 1 worker = {one['seconds'] / two['seconds']:.2f}x")
        if plain and one:
            overhead = one["seconds"] / plain["seconds"] - 1
            lines.append(f"- {part}: 1 Ray worker vs plain chunk_many (1 thread): {overhead:+.1%} time")
            if plain.get("cpu_s") and one.get("cpu_s"):
                cpu = sum(one["cpu_s"]) / sum(plain["cpu_s"]) - 1
                lines.append(f"- {part}: 1 Ray worker vs plain chunk_many: {cpu:+.1%} CPU time (the worker process)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ast-mb", type=float, default=20.0)
    parser.add_argument("--ppl-kb", type=float, default=200.0)
    parser.add_argument("--only", choices=["ast", "ppl"], default=None)
    parser.add_argument("--docs-per-block", type=int, default=2, help="perplexity documents per Ray block and batch")
    parser.add_argument("--modes", nargs="+", default=["plain", "ray1", "ray2"], choices=["plain", "ray1", "ray2"])
    parser.add_argument("--run", nargs=2, metavar=("PART", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_one(*args.run, args)))
        return 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    results = []
    for part in [args.only] if args.only else ["ast", "ppl"]:
        for mode in args.modes:
            command = [sys.executable, "-m", "benchmarks.ray_bench", "--ast-mb", str(args.ast_mb),
                       "--ppl-kb", str(args.ppl_kb), "--docs-per-block", str(args.docs_per_block),
                       "--run", part, mode]  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                return done.returncode
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    cpus = os.cpu_count()
    report = [
        "# Ray Data stage: scaling on this machine",
        "",
        f"`python -m benchmarks.ray_bench --ast-mb {args.ast_mb:g} --ppl-kb {args.ppl_kb:g} --docs-per-block "
        f"{args.docs_per_block} --modes {' '.join(args.modes)}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}); "
        f"{cpus} CPU cores, "
        "each Ray worker given num_cpus=1 (OMP_NUM_THREADS=1, one torch thread); the plain run is chunk_many "
        "in one process with torch.set_num_threads(1). Times include starting the workers and loading the model.",
        "",
        *table(results),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(report), encoding="utf-8")
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
