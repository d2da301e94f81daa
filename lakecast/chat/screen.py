"""First look at a question before parsing: is it SQL (then only the guard decides), an attempt to smuggle SQL
or file/network access into a question, or text addressed to the assistant instead of a question?

This is a courtesy layer that gives a clear refusal early; safety does not depend on it. The rule parser only
ever emits SQL built from the semantic layer, and all SQL (including SQL typed here) passes the guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_SQL_START = re.compile(
    r"^\s*(?:\(\s*)*(insert|update|delete|drop|create|alter|copy|attach|detach|pragma|install|grant|revoke|truncate|"
    r"merge|vacuum|checkpoint|begin|commit|rollback|prepare|deallocate|call|execute)\b", re.I)
# English can start like SQL ("show revenue by month", "select the top items"): SQL only when it reads as SQL
_SQL_LIKE = re.compile(
    r"^\s*(?:\(\s*)*(?:(?:select|with)\b[\s\S]*\bfrom\b|with\s+\w+\s+as\s*\(|show\s+(?:tables|schemas|databases|"
    r"columns|create|catalogs|functions|session|stats|grants)\b|describe\s+[\w.\"]+\s*;?\s*$|explain\s+"
    r"(?:analyze\s+)?(?:select|with)\b|set\s+(?:session\s+)?[\w.]+\s*(?:=|to\b)|reset\s+\w+\s*;?\s*$|"
    r"use\s+[\w.]+\s*;?\s*$|load\s+\w+\s*;?\s*$|(?:export|import)\s+database\b|summarize\s+[\w.]+|"
    r"from\s+[\w.]+\s*(?:select\b|;|$))", re.I)
_STACKED = re.compile(r";\s*\S", re.S)
_SQL_WORDS = (r"(?:select|drop|delete|insert|update|create|alter|truncate|copy|attach|grant|pragma|install|load|set|"
              r"call|union|from)")
_COMMENT_TRICK = re.compile(rf"(--|/\*|\*/|#\s*{_SQL_WORDS})", re.I)
_FILES_NETWORK = re.compile(
    r"\b(read_csv\w*|read_parquet|read_json\w*|read_text|read_blob|read_ndjson\w*|iceberg_scan|iceberg_metadata|"
    r"parquet_scan|parquet_metadata|delta_scan|sqlite_scan|postgres_scan|mysql_scan|glob|httpfs|http_get|"
    r"http_post|load_extension|duckdb_\w+|pg_read_file|pg_ls_dir|lo_import|dblink|system\.\w+|"
    r"information_schema|pg_catalog|current_setting|getenv)\b|\b(?:https?|s3|gs|file|ftp)://|(?:^|\s)/(?:etc|tmp|home|root|"
    r"proc|var|usr)/", re.I)
_DDL_DML = re.compile(
    r"\b(drop|truncate|alter)\s+(table|view|schema|database|index|macro|function|secret|role|user)\b|"
    r"\bdelete\s+from\b|\binsert\s+into\b|\bupdate\s+[\w.\"]+\s+set\b|"
    r"\bcreate\s+(or\s+replace\s+)?(temp\w*\s+)?(table|view|schema|macro|function|secret|index|role|user)\b|"
    r"\bgrant\s+\w+.*\bto\b|\bcopy\s+[\w.(]+.*\bto\s+'|\battach\s+'|\battach\s+database\b|\bpragma\s+\w+|"
    r"\binstall\s+\w+|\bload\s+(httpfs|extension|\w+_ext)\b|\bunion\s+(all\s+)?select\b|\bor\s+1\s*=\s*1\b", re.I)
_INSTRUCTIONS = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+|previous\s+|prior\s+|above\s+|earlier\s+)*"
    r"(instructions?|rules?|prompts?|guard\w*|restrictions?|constraints?)\b|\bsystem\s+prompt\b|\byou\s+are\s+now\b|"
    r"\bact\s+as\b|\bjailbreak\b|\bdeveloper\s+mode\b|\bpretend\s+(to\s+be|you)\b|\bnew\s+instructions?\b|"
    r"\breveal\s+(your|the)\s+(prompt|instructions|password|secret|key)s?\b|\b(password|passwd|api[_\s]?key|secret|"
    r"token)s?\b", re.I)


@dataclass(frozen=True)
class Screened:
    kind: Literal["question", "sql", "refuse"]
    message: str = ""


def screen(text: str) -> Screened:
    """Classify ``text``: plain question, SQL for the guard, or refused with a reason."""
    if _SQL_START.match(text) or _SQL_LIKE.match(text):
        return Screened("sql")
    if _INSTRUCTIONS.search(text):
        return Screened("refuse", "refused: the question contains instructions to the assistant or asks for "
                                  "credentials; ask about sales, forecasts or accuracy instead")
    if _FILES_NETWORK.search(text):
        return Screened("refuse", "refused: chat only reads the served gold tables; files, URLs, system "
                                  "catalogs and settings are off limits")
    if _DDL_DML.search(text) or (_STACKED.search(text) and re.search(rf"\b{_SQL_WORDS}\b", text, re.I)):
        return Screened("refuse", "refused: the question contains SQL that changes data or stacks statements; "
                                  "chat is read-only (one SELECT)")
    if _COMMENT_TRICK.search(text):
        return Screened("refuse", "refused: SQL comment markers (--, /* */) are not allowed in a question")
    return Screened("question")
