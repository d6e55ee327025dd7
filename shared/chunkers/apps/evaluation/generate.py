"""Generated questions (form (d)), the way Chroma's chunking evaluation makes them: show the LLM an excerpt of
the corpus with the questions asked so far, ask for one new question and the exact passages that answer it as
JSON, locate each passage in the excerpt, and keep only questions whose every passage is found (the rest are
counted as rejected, with the reason). The set is saved as JSONL (form (b)) for reuse."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import Corpus, EvaluationInputError
from .questions import Question, save_questions

PROMPT = """You are an agent that writes questions to test a search system. From the text below, write ONE \
question that the text answers, and copy the passages that answer it EXACTLY as they appear in the text \
(verbatim quotes, each a sentence or a few sentences; no paraphrase). Ask about facts specific to this text. \
Do not repeat or rephrase any of these earlier questions:
{previous}

Reply with JSON only, in this form: {{"question": "...", "references": ["exact passage", ...]}}

Text:
{excerpt}"""

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass
class Generated:
    """Generated questions and why the other replies were rejected (reason -> count)."""

    questions: list[Question]
    rejected: Counter = field(default_factory=Counter)
    path: Path | None = None


def complete(llm: Any, prompt: str) -> str:
    """The text of one completion from a plain callable, our `LLM` protocol, a LlamaIndex LLM (``complete``
    returns a response with ``.text``) or a LangChain chat model / LLM (``invoke``)."""
    if hasattr(llm, "invoke") and not hasattr(llm, "complete"):
        reply = llm.invoke(prompt)
        return reply if isinstance(reply, str) else str(getattr(reply, "content", reply))
    if hasattr(llm, "complete"):
        reply = llm.complete(prompt)
        return reply if isinstance(reply, str) else str(getattr(reply, "text", reply))
    return str(llm(prompt))


def _parse(reply: str) -> tuple[str, list[str]] | str:
    """``(question, passages)`` from a reply, or the reason it is unusable."""
    found = _OBJECT.search(reply)
    if not found:
        return "no JSON object in the reply"
    try:
        data = json.loads(found.group(0))
    except json.JSONDecodeError:
        return "invalid JSON"
    question, references = data.get("question") if isinstance(data, dict) else None, data.get("references")
    if not isinstance(question, str) or not question.strip():
        return "no question"
    if isinstance(references, str):
        references = [references]
    if not isinstance(references, list) or not references:
        return "no references"
    passages = [r.get("content") if isinstance(r, dict) else r for r in references]
    if not all(isinstance(p, str) and p.strip() for p in passages):
        return "a reference is not text"
    return question.strip(), [p.strip() for p in passages]


def _locate(excerpt: str, passage: str) -> tuple[int, int] | None:
    """The passage's one occurrence in the excerpt: exactly, or with runs of whitespace matched loosely."""
    if excerpt.count(passage) == 1:
        start = excerpt.find(passage)
        return start, start + len(passage)
    pattern = r"\s+".join(re.escape(word) for word in passage.split())
    hits = list(re.finditer(pattern, excerpt))
    return (hits[0].start(), hits[0].end()) if len(hits) == 1 else None


def _excerpt(corpus: Corpus, rng: random.Random, chars: int) -> tuple[int, int, int]:
    """A random excerpt (document position, start, end) of about ``chars`` characters, cut at whitespace; longer
    documents are drawn more often."""
    weights = [len(d.text) if d.text.strip() else 0 for d in corpus.documents]
    position = rng.choices(range(len(weights)), weights=weights)[0]
    text = corpus.documents[position].text
    if len(text) <= chars:
        return position, 0, len(text)
    start = rng.randrange(0, len(text) - chars)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = min(len(text), start + chars)
    while end < len(text) and not text[end].isspace():
        end += 1
    return position, start, end


def generate_questions(
    corpus: Corpus, llm: Any, count: int = 20, excerpt_chars: int = 3000, seed: int = 0,
    max_attempts: int | None = None, save: str | Path | None = None, prompt: str = PROMPT,
) -> Generated:  # fmt: skip
    """Ask ``llm`` for up to ``count`` questions with exact evidence spans from random excerpts of the corpus
    (deterministic for a ``seed`` and a deterministic LLM); at most ``max_attempts`` calls (default 3 per question).
    Replies that are not JSON, repeat a question, or quote text not in the excerpt are rejected and counted.
    With ``save``, the questions are written there as JSONL (form (b), with each passage as ``content``)."""
    if count < 1:
        raise EvaluationInputError(f"the number of questions to generate must be at least 1, got {count}")
    if not (callable(llm) or hasattr(llm, "complete") or hasattr(llm, "invoke")):
        raise EvaluationInputError(f"cannot ask {type(llm).__name__} for text: pass a callable or a framework LLM")
    rng = random.Random(seed)
    result = Generated([])
    asked: set[str] = set()
    for _ in range(max_attempts or 3 * count):
        if len(result.questions) >= count:
            break
        position, start, end = _excerpt(corpus, rng, excerpt_chars)
        document = corpus.documents[position]
        previous = "\n".join(f"- {q.text}" for q in result.questions[-20:]) or "(none yet)"
        try:
            reply = complete(llm, prompt.format(previous=previous, excerpt=document.text[start:end]))
        except Exception as exc:  # a failing call is one rejected attempt, not the end of the run
            result.rejected[f"the LLM raised {type(exc).__name__}"] += 1
            continue
        parsed = _parse(reply)
        if isinstance(parsed, str):
            result.rejected[parsed] += 1
            continue
        question, passages = parsed
        if question.lower() in asked:
            result.rejected["repeats an earlier question"] += 1
            continue
        located = [_locate(document.text[start:end], p) for p in passages]
        spans = tuple(sorted({(document.id, start + s[0], start + s[1]) for s in located if s is not None}))
        if len(spans) < len(set(passages)):
            result.rejected["a passage is not in the excerpt exactly once"] += 1
            continue
        result.questions.append(Question(question, spans, (document.id,)))
        asked.add(question.lower())
    if save is not None:
        result.path = save_questions(result.questions, save, corpus)
    return result


def rejected_summary(rejected: Counter) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in rejected.most_common()) or "none"
