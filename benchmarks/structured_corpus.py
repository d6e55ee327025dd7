"""Build the structured-document retrieval suite (doc2dial v1.0.1 validation) from a local snapshot only.

Source (nothing here was written by this project): the reading-comprehension export of Doc2Dial v1.0.1's validation
split, `data/doc2dial/v1.0.1/doc2dial_rc_val.csv.zip` (a zip whose one member is the CSV), found on the pull-request ref
`refs/pull/8/head` of github.com/doc2dial/sharedtask-dialdoc2021 at the commit pinned below. Each row holds the full
`doc_text` of a US-government help page (ssa.gov, va.gov, studentaid.gov, dmv.ny.gov), its annotated spans and the
grounding span of the next agent turn; the pages' section titles are their own spans ("\\n\\nTitle \\n").

The page is rendered to Markdown: its opening section title (or, failing one, the title from its id) as `#`, every
later section-title span as `## <title>` (the release keeps no h2/h3 levels), every other span verbatim. The
questions are the dialogues' first user turns, written by crowd workers; the evidence is the annotated grounding
span, whitespace-trimmed, located in the rendered page through a character map and kept only when it equals the
annotated text and occurs there exactly once.
The suite lands in benchmarks/corpora/structured/doc2dial/ (gitignored); the manifest, committed, records the source.

    git clone https://github.com/doc2dial/sharedtask-dialdoc2021 benchmarks/mirrors/doc2dial+sharedtask-dialdoc2021
    git -C benchmarks/mirrors/doc2dial+sharedtask-dialdoc2021 fetch origin pull/8/head   # the ref with the file
    python -m benchmarks.structured_corpus --source benchmarks/mirrors/doc2dial+sharedtask-dialdoc2021 \\
        [--out benchmarks/corpora/structured]
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "corpora" / "structured"
MANIFEST = ROOT / "benchmarks" / "structured_corpus_manifest.json"
NAME = "doc2dial"
SOURCE = {
    "repository": "https://github.com/doc2dial/sharedtask-dialdoc2021",
    "ref": "refs/pull/8/head",
    "commit": "919d1650c110eab886b6389b7ce8ccd03a89d73c",
    "path": "data/doc2dial/v1.0.1/doc2dial_rc_val.csv.zip",
    "sha256": "cb86ed85d74eab3209155ac423ab82298cd07b0d3e153dadad59d026e08ae2de",
    "licence": "CC BY 3.0 (Doc2Dial, as stated by its Hugging Face dataset card; the repository ships no licence file)",
    "licence_url": "https://creativecommons.org/licenses/by/3.0/",
    "citation": (
        "Song Feng, Hui Wan, Chulaka Gunasekara, Siva Sankalp Patel, Sachindra Joshi, Luis A. Lastras. "
        "doc2dial: A Goal-Oriented Document-Grounded Dialogue Dataset. EMNLP 2020. "
        "https://aclanthology.org/2020.emnlp-main.652"
    ),
}
HEADING = re.compile(r"\n\n([^\n]*\S)[ \t]*\n")


def read_source(source: Path) -> bytes:
    """The CSV's bytes from a bare git snapshot (at the pinned commit), a work tree, or the file itself."""
    if source.is_file():
        return source.read_bytes()
    if (source / SOURCE["path"]).is_file():
        return (source / SOURCE["path"]).read_bytes()
    command = ["git", f"--git-dir={source}", "show", f"{SOURCE['commit']}:{SOURCE['path']}"]
    return subprocess.run(command, check=True, capture_output=True).stdout


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70].rstrip("-")


def render(title: str, spans: dict[str, str]) -> tuple[str, list[int]]:
    """Markdown text and the map from each original character to its rendered index (-1: not carried over).

    A page that opens with a section title gets it as its `#` heading; any other page gets `# <title>` from its id.
    Every later section title becomes `## <title>`; the other spans are copied verbatim.
    """
    keys = sorted(spans, key=int)
    parts: list[str] = [] if HEADING.fullmatch(spans[keys[0]]) else [f"# {title}\n\n"]
    mapping: list[int] = []
    offset = len(parts[0]) if parts else 0
    for key in keys:
        span = spans[key]
        match = HEADING.fullmatch(span)
        if match:
            marker = "## " if parts else "# "
            lead = "\n\n" if offset and not parts[-1].endswith("\n\n") else ""
            piece = f"{lead}{marker}{match.group(1)}\n\n"
            start = offset + len(lead) + len(marker) - match.start(1)
            mapping += [start + i if match.start(1) <= i < match.end(1) else -1 for i in range(len(span))]
        else:
            piece = span
            mapping += range(offset, offset + len(span))
        parts.append(piece)
        offset += len(piece)
    return "".join(parts), mapping


def stats(documents: dict[str, str], questions: list[dict]) -> dict:
    depths: Counter[int] = Counter()
    per_doc = []
    for text in documents.values():
        levels = [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) ", text, re.M)]
        depths.update(levels)
        per_doc.append(len(levels))
    refs = [r for q in questions for r in q["references"]]
    crossing = heading_only = 0
    for ref in refs:
        text = documents[ref["document"]]
        line_start = text.rfind("\n", 0, ref["start"]) + 1
        heading_only += text.startswith("#", line_start) and "\n" not in text[ref["start"] : ref["end"]]
        crossing += bool(re.search(r"\n#{1,6} ", text[ref["start"] : ref["end"]]))
    return {
        "mean_document_chars": round(sum(map(len, documents.values())) / len(documents), 1),
        "mean_headings_per_document": round(sum(per_doc) / len(per_doc), 2),
        "heading_depths": {f"h{k}": v for k, v in sorted(depths.items())},
        "mean_evidence_chars": round(sum(r["end"] - r["start"] for r in refs) / len(refs), 1),
        "evidence_is_a_heading_line": heading_only,
        "evidence_crossing_a_heading": crossing,
        "references": len(refs),
    }


def build(source: Path, out: Path) -> dict:
    raw = read_source(source)
    if hashlib.sha256(raw).hexdigest() != SOURCE["sha256"]:
        raise ValueError(f"{source}: not the pinned {SOURCE['path']} (sha256 differs)")
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        (member,) = archive.namelist()
        text = archive.read(member).decode("utf-8")
    csv.field_size_limit(1 << 30)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    pages: dict[str, tuple[str, dict[str, str], str]] = {}
    for row in rows:
        pages.setdefault(row["title"], (row["context"], ast.literal_eval(row["spans"]), row["domain"]))
    names: dict[str, str] = {}
    documents: dict[str, str] = {}
    maps: dict[str, list[int]] = {}
    for title in sorted(pages):
        context, spans, domain = pages[title]
        if "".join(spans[k] for k in sorted(spans, key=int)) != context:
            raise ValueError(f"spans of {title!r} do not tile its text")
        page, _, part = title.rpartition("#")
        name = f"{domain}--{slug(page)}--{part}.md"
        names[title] = name
        documents[name], maps[name] = render(page, spans)
    dropped: Counter[str] = Counter()
    merged: dict[tuple[str, str], dict] = {}
    for row in rows:
        if "\t" in row["question"] or not row["question"].startswith("user:"):
            dropped["not a first user turn (dialogue history)"] += 1
            continue
        question, name = row["question"][len("user:") :].strip(), names[row["title"]]
        answers, text, mapping = ast.literal_eval(row["answers"]), documents[name], maps[name]
        references, reason = [], ""
        for evidence, begin in zip(answers["text"], answers["answer_start"]):
            if row["context"][begin : begin + len(evidence)] != evidence:
                reason = "annotated offset does not hold the evidence"
                break
            trimmed = evidence.strip()
            first = begin + len(evidence) - len(evidence.lstrip())
            start, end = mapping[first], mapping[first + len(trimmed) - 1] + 1
            if not trimmed or text[start:end] != trimmed:
                reason = "evidence not found verbatim in the rendered page"
                break
            if text.count(trimmed) != 1:
                reason = "evidence occurs more than once in its page"
                break
            references.append({"document": name, "start": start, "end": end})
        if reason or not references:
            dropped[reason or "no evidence"] += 1
            continue
        entry = merged.setdefault((question, name), {"question": question, "references": []})
        new = [r for r in references if r not in entry["references"]]
        dropped["duplicate (same question, page and evidence)"] += not new
        entry["references"] += new
    questions = list(merged.values())
    target = out / NAME
    shutil.rmtree(target, ignore_errors=True)
    (target / "documents").mkdir(parents=True)
    for name, text in documents.items():
        (target / "documents" / name).write_text(text, encoding="utf-8", newline="")
    with (target / "questions.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for entry in questions:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    (target / "LICENSE").write_text(
        "Doc2Dial (IBM Research), licensed under the Creative Commons Attribution 3.0 Unported licence (CC BY 3.0):\n"
        f"{SOURCE['licence_url']}\n\nAttribution: {SOURCE['citation']}\n"
        "Changes: pages rendered to Markdown (page title as '#', section titles as '##'); only first user turns kept.\n",
        encoding="utf-8",
    )
    (target / "SOURCE.md").write_text(
        f"# {NAME}\n\n{__doc__.split('    python -m')[0].strip()}\n\n"
        + "\n".join(f"- {key}: {value}" for key, value in SOURCE.items())
        + "\n",
        encoding="utf-8",
    )
    return {
        "name": NAME,
        "source": SOURCE,
        "documents": len(documents),
        "questions": len(questions),
        "total_chars": sum(map(len, documents.values())),
        "rows_read": len(rows),
        "rows_dropped": dict(sorted(dropped.items())),
        "stats": stats(documents, questions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the fetched git dir, a work tree, or the CSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    manifest = build(args.source, args.out)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: manifest[k] for k in ("documents", "questions", "total_chars", "rows_dropped")}, indent=2))


if __name__ == "__main__":
    main()
