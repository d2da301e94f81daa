"""Retrieval corpus (schema docs, metric and dimension definitions, example question -> SQL pairs) and its
two stores: pgvector in the app database (what the API uses) and an in-memory index (library use, tests,
and the reference the pgvector answers are checked against).

The corpus is built from code (contracts, the semantic layer, ``examples.yaml``), so its hash says whether the
stored vectors are current; ``PgVectorStore.ensure_index`` re-embeds only when it changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from lakecast.chat.embeddings import METHOD, HashedTfidfEmbedder, to_sparsevec
from lakecast.chat.parser import Hint
from lakecast.chat.semantic import DIMENSIONS, METRICS

EXAMPLES_FILE = Path(__file__).with_name("examples.yaml")
_INDEX_LOCK_KEY = 0x1A4EC4A7  # advisory lock: one process re-indexes at a time


@dataclass(frozen=True)
class Document:
    kind: str  # schema | metric | dimension | example
    key: str
    title: str
    body: str
    sql: str | None = None
    metric: str | None = None

    @property
    def text(self) -> str:
        """What gets embedded: examples by their question only (questions are matched to questions)."""
        return self.title if self.kind == "example" else f"{self.title}. {self.body}"


@dataclass(frozen=True)
class Hit:
    document: Document
    similarity: float


def load_examples(path: Path = EXAMPLES_FILE) -> list[Document]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Document("example", f"ex{i:03d}", e["question"], e["question"], (e.get("sql") or "").strip() or None,
                     e.get("metric")) for i, e in enumerate(entries)]


def schema_documents() -> list[Document]:
    """One document per served table: grain, description and every column with its meaning."""
    from contracts.registry import TABLES

    docs = []
    for fqn, spec in TABLES.items():
        if not spec.served:
            continue
        cols = "; ".join(f"{name} ({t.__name__}{', nullable' if nullable else ''}): {doc}"
                         for name, t, nullable, doc in spec.columns())
        body = f"Grain: {spec.grain}. {spec.description} Key: {', '.join(spec.primary_key)}. Columns: {cols}"
        docs.append(Document("schema", fqn, f"table {fqn}", body))
    return docs


def semantic_documents() -> list[Document]:
    docs = [Document("metric", m.name, f"metric {m.label}",
                     f"{m.definition}. Words: {', '.join(m.synonyms)}. Unit: {m.unit}. "
                     + " ".join(f"SQL on {src}: {sql}" for src, sql in m.sql.items()), metric=m.name)
            for m in METRICS.values()]
    docs += [Document("dimension", d.name, f"dimension {d.name}",
                      f"Output column {d.column}. Words: {', '.join(d.synonyms)}. "
                      + " ".join(f"SQL on {src}: {sql}" for src, sql in d.sql.items()))
             for d in DIMENSIONS.values()]
    return docs


@lru_cache(maxsize=1)
def corpus() -> tuple[Document, ...]:
    return tuple(schema_documents() + semantic_documents() + load_examples())


def corpus_hash(docs: tuple[Document, ...], dim: int) -> str:
    payload = json.dumps([METHOD, dim, [d.__dict__ for d in docs]], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def embedder(dim: int = 512) -> HashedTfidfEmbedder:
    """The embedder with IDF fitted on the corpus (same weights in every process)."""
    return HashedTfidfEmbedder(dim).fit([d.text for d in corpus()])


class Retriever(Protocol):
    def search(self, text: str, *, kind: str | None = None, k: int = 3) -> list[Hit]: ...


class MemoryStore:
    """Exact cosine search over the corpus held in memory."""

    def __init__(self, dim: int = 512):
        self.docs = corpus()
        self.embedder = embedder(dim)
        self.matrix = self.embedder.embed([d.text for d in self.docs])

    def search(self, text: str, *, kind: str | None = None, k: int = 3) -> list[Hit]:
        q = self.embedder.embed_one(text)
        if not np.any(q):
            return []
        sims = self.matrix @ q
        order = sorted(range(len(self.docs)), key=lambda i: (-float(sims[i]), self.docs[i].key))
        hits = [Hit(self.docs[i], float(sims[i])) for i in order if kind is None or self.docs[i].kind == kind]
        return hits[:k]


class PgVectorStore:
    """The corpus in Postgres (table ``chat_documents``, pgvector ``sparsevec`` column), nearest by ``<->`` (L2
    on unit vectors = cosine order; exact scan: a few hundred rows)."""

    def __init__(self, pool: Any, dim: int = 512):
        self.pool = pool
        self.dim = dim
        self.embedder = embedder(dim)

    def ensure_index(self) -> int:
        """(Re-)embed the corpus if the stored one is missing or stale; return the number of rows written."""
        docs = corpus()
        digest = corpus_hash(docs, self.dim)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_INDEX_LOCK_KEY])
            row = conn.execute("SELECT count(*) AS n, count(*) FILTER (WHERE corpus_hash = %s) AS current "
                               "FROM chat_documents", [digest]).fetchone()
            if row and row["n"] == len(docs) and row["current"] == len(docs):
                return 0
            conn.execute("DELETE FROM chat_documents")
            vectors = self.embedder.embed([d.text for d in docs])
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO chat_documents (kind, key, title, body, sql, metric, method, embedding, corpus_hash) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::sparsevec, %s)",
                    [(d.kind, d.key, d.title, d.body, d.sql, d.metric, METHOD, to_sparsevec(v), digest)
                     for d, v in zip(docs, vectors, strict=True)],
                )
            return len(docs)

    def search(self, text: str, *, kind: str | None = None, k: int = 3) -> list[Hit]:
        vec = self.embedder.embed_one(text)
        if not np.any(vec):  # no known n-gram: cosine is undefined, nothing is near
            return []
        q = to_sparsevec(vec)
        # unit vectors: L2 distance d ranks like cosine, and cosine = 1 - d^2 / 2 (see embeddings.to_sparsevec)
        sql = ("SELECT kind, key, title, body, sql, metric, 1 - power(embedding <-> %s::sparsevec, 2) / 2 "
               "AS similarity FROM chat_documents WHERE (%s::text IS NULL OR kind = %s) "
               "ORDER BY embedding <-> %s::sparsevec, key LIMIT %s")
        with self.pool.connection() as conn:
            rows = conn.execute(sql, [q, kind, kind, q, k]).fetchall()
        return [Hit(Document(r["kind"], r["key"], r["title"], r["body"], r["sql"], r["metric"]),
                    float(r["similarity"] or 0.0)) for r in rows]


def hints(retriever: Retriever, question: str, k: int = 3) -> list[Hint]:
    """Nearest example questions as parser hints."""
    return [Hint(h.document.title, h.document.metric, h.similarity)
            for h in retriever.search(question, kind="example", k=k)]

