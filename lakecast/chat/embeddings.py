"""Offline text embeddings: hashed word (1-2 gram) + character (3-5 gram) TF-IDF, fixed size, no download.

Why this and not a neural sentence model: it must work with no network and no model file, be deterministic,
and be cheap enough to embed every question. Questions and example questions share most of their wording
("accuracy by region", "top 5 items"), and character n-grams absorb plurals and typos, so lexical similarity
is a good fit for *guiding* a rule parser (measured in docs/chat.md). Half of the dimensions hash word
uni/bigrams, half hash character n-grams within word boundaries; IDF weights are fitted on the indexed corpus
(built from code, so identical in every process); each half is L2-normalised, the whole vector too, so the
pgvector cosine distance ``<=>`` ranks by the same similarity as the in-memory dot product.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from lakecast.chat.vocab import normalize

METHOD = "hashed-tfidf-word12-char35"


class HashedTfidfEmbedder:
    """Embeds texts into ``dim`` floats; ``fit`` learns IDF weights from the corpus once."""

    def __init__(self, dim: int = 512):
        if dim % 2:
            raise ValueError("embedding dim must be even (half words, half characters)")
        self.dim = dim
        common = {"n_features": dim // 2, "alternate_sign": False, "norm": None, "preprocessor": normalize}
        self._word = HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                                       **common)
        self._char = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)
        self._idf_word = TfidfTransformer(sublinear_tf=True, norm="l2")
        self._idf_char = TfidfTransformer(sublinear_tf=True, norm="l2")
        self._fitted = False

    def fit(self, corpus: Sequence[str]) -> HashedTfidfEmbedder:
        self._idf_word.fit(self._word.transform(corpus))
        self._idf_char.fit(self._char.transform(corpus))
        self._fitted = True
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors (a zero vector for text with no known n-gram)."""
        if not self._fitted:
            raise RuntimeError("call fit(corpus) before embed()")
        words = self._idf_word.transform(self._word.transform(texts)).toarray()
        chars = self._idf_char.transform(self._char.transform(texts)).toarray()
        vec = np.hstack([words, chars])
        norms = np.linalg.norm(vec, axis=1, keepdims=True)
        return (vec / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def to_pgvector(vec: np.ndarray) -> str:
    """Format a vector as pgvector's text input ``[x1,x2,...]``."""
    return "[" + ",".join(f"{float(x):.6g}" for x in vec) + "]"
