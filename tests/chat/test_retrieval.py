"""Retrieval: the corpus, the offline embedding, pgvector (real embedded Postgres) vs the in-memory index, the
app role's grants, and the example SQL (guarded and run on the engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from psycopg.rows import dict_row

from lakecast.appdb.db import one_row
from lakecast.chat.embeddings import HashedTfidfEmbedder, to_sparsevec
from lakecast.chat.evaluation import load_cases
from lakecast.chat.guard import guard_sql
from lakecast.chat.retrieval import MemoryStore, PgVectorStore, corpus, load_examples
from lakecast.chat.semantic import METRICS, served_tables
from lakecast.settings import Settings

QUESTIONS = [c.question for c in load_cases(Path(__file__).with_name("eval_questions.yaml"))]


class _Pool:
    """The two methods of psycopg_pool.ConnectionPool the store uses, over one URL."""

    def __init__(self, url: str):
        self.url = url

    def connection(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)


def test_corpus_covers_served_tables_metrics_and_examples() -> None:
    docs = corpus()
    assert {d.key for d in docs if d.kind == "schema"} == set(served_tables())
    assert {d.key for d in docs if d.kind == "metric"} == set(METRICS)
    examples = load_examples()
    assert len(examples) >= 40 and all(e.metric in METRICS for e in examples)
    assert not {e.title for e in examples} & set(QUESTIONS)  # examples are not the evaluation questions


def test_embedding_is_deterministic_offline_and_unit_length() -> None:
    texts = [d.text for d in corpus()]
    a = HashedTfidfEmbedder(512).fit(texts).embed(["accuracy by region", "sales by brand"])
    b = HashedTfidfEmbedder(512).fit(texts).embed(["accuracy by region", "sales by brand"])
    assert a.shape == (2, 512) and np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    typo = HashedTfidfEmbedder(512).fit(texts).embed(["accuarcy by regoin"])[0]
    assert float(typo @ a[0]) > float(typo @ a[1])  # character n-grams absorb typos


def test_sparsevec_text_format() -> None:
    v = np.zeros(8, dtype=np.float32)
    v[[0, 5]] = [0.6, 0.8]
    assert to_sparsevec(v) == "{1:0.6,6:0.8}/8"


@pytest.mark.integration
def test_pgvector_store_matches_memory_store(chat_pg: tuple[Settings, str], memory_store: MemoryStore) -> None:
    _, url = chat_pg
    store = PgVectorStore(_Pool(url))
    store.ensure_index()
    assert store.ensure_index() == 0  # current: nothing rewritten
    with psycopg.connect(url) as conn:
        n, dims = one_row(conn.execute("SELECT count(*), min(vector_dims(embedding::vector)) FROM chat_documents"))
    assert n == len(corpus()) and dims == 512
    for q in QUESTIONS[:40]:
        pg = store.search(q, kind="example", k=3)
        mem = memory_store.search(q, kind="example", k=3)
        assert [h.document.key for h in pg] == [h.document.key for h in mem], q
        assert [h.similarity for h in pg] == pytest.approx([h.similarity for h in mem], abs=1e-5)
    assert store.search("???", k=3) == []  # nothing known: nothing near


@pytest.mark.integration
def test_app_role_can_index_and_search(chat_pg: tuple[Settings, str]) -> None:
    """The API connects as lakecast_app (embedded mode): migration 0003 grants it what chat needs."""
    from lakecast.appdb.migrate import app_role_conninfo

    _, url = chat_pg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM chat_documents")
    store = PgVectorStore(_Pool(app_role_conninfo(url)))
    assert store.ensure_index() == len(corpus())
    hit = store.search("how accurate were we last quarter", kind="example", k=1)[0]
    assert hit.document.metric == "accuracy_pct" and hit.similarity > 0.5
    with psycopg.connect(app_role_conninfo(url)) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DROP TABLE chat_documents")


@pytest.mark.spark
@pytest.mark.integration
def test_example_sql_passes_the_guard_and_runs(engine: Any) -> None:
    for ex in load_examples():
        if ex.sql is None:
            continue
        guarded = guard_sql(ex.sql, allowed=served_tables())
        engine.query(guarded.sql)  # raises if the example is wrong
