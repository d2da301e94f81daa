-- Reverts 0003_chat.up.sql (drops chat documents, conversations and the question log).
DROP TABLE IF EXISTS chat_turns;
DROP TABLE IF EXISTS chat_conversations;
DROP TABLE IF EXISTS chat_documents;
