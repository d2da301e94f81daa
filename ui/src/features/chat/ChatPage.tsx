// Questions in plain words (POST /chat): a conversation thread of answers (text, notes, what each phrase was
// read as, the words ignored, a clarification whose choices re-ask the question, did-you-mean, the SQL that
// ran, the rows and a chart) and the question box. Follow-ups carry the last answer's
// conversation_id; "New conversation" drops it. Refusals (400, refused: true) are a message in the thread.
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { ChartCard, MultiBarChart, MultiLineChart } from "../../components/charts";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/Field";
import { ErrorBox, Loading } from "../../components/Status";
import { askChat, type ChatOutcome } from "./api";
import {
  applySuggestion,
  cellText,
  chartData,
  colKey,
  EXAMPLE_QUESTIONS,
  isNumericColumn,
  tableRows,
  type ChatResponse,
  type TableRow,
} from "./logic";

type Turn =
  | { id: number; question: string; state: "pending" }
  | { id: number; question: string; state: "done"; outcome: ChatOutcome }
  | { id: number; question: string; state: "error"; error: unknown };

export default function ChatPage() {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [question, setQuestion] = useState("");
  const [conversationId, setConversationId] = useState<string | null>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const lastTurnRef = useRef<HTMLLIElement>(null);
  const nextId = useRef(1);
  const epoch = useRef(0); // bumped by "New conversation": late replies of the old one are dropped
  const inFlight = useRef(false); // one question at a time (also against a double click within one render)
  const pending = turns.some((t) => t.state === "pending");

  useEffect(() => {
    lastTurnRef.current?.scrollIntoView?.({ block: "nearest" });
  }, [turns]);

  const send = async (text: string) => {
    const q = text.trim();
    if (!q || inFlight.current) return;
    inFlight.current = true;
    const id = nextId.current++;
    const mine = epoch.current;
    setTurns((ts) => [...ts, { id, question: q, state: "pending" }]);
    setQuestion("");
    const settle = (turn: Turn) => {
      if (epoch.current === mine) setTurns((ts) => ts.map((t) => (t.id === id ? turn : t)));
    };
    try {
      const outcome = await askChat({ question: q, conversation_id: conversationId ?? undefined });
      if (epoch.current !== mine) return;
      const cid = outcome.kind === "answer" ? outcome.answer.conversation_id : outcome.refusal.conversation_id;
      if (cid) setConversationId(cid);
      settle({ id, question: q, state: "done", outcome });
    } catch (error) {
      settle({ id, question: q, state: "error", error });
    } finally {
      if (epoch.current === mine) inFlight.current = false;
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void send(question);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter asks, Shift+Enter starts a new line
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      event.currentTarget.form?.requestSubmit();
    }
  };

  const retry = (turn: Turn) => {
    setTurns((ts) => ts.filter((t) => t.id !== turn.id));
    void send(turn.question);
  };

  const suggest = (turn: Turn, suggestion: string) => {
    const rewritten = applySuggestion(turn.question, suggestion);
    if (rewritten.replaced) {
      void send(rewritten.question);
    } else {
      setQuestion(rewritten.question);
      inputRef.current?.focus();
    }
  };

  const newConversation = () => {
    epoch.current += 1;
    inFlight.current = false;
    setTurns([]);
    setConversationId(null);
    setQuestion("");
    inputRef.current?.focus();
  };

  return (
    <>
      <PageHeader title="Ask a question">
        <button type="button" onClick={newConversation} disabled={turns.length === 0 && conversationId === null} data-testid="chat-new">
          New conversation
        </button>
      </PageHeader>
      <p className="muted">
        Ask about sales, forecasts or accuracy in plain words, or paste one read-only <code>SELECT</code>. Follow-ups
        (“and by brand?”, “only Beverages”, “what about theta?”) build on the previous answer.
      </p>

      {turns.length > 0 && (
        <ol className="chat-thread" aria-label="Conversation" aria-live="polite">
          {turns.map((t, i) => (
            <li key={t.id} className="card chat-turn" data-testid="chat-turn" data-state={t.state} ref={i === turns.length - 1 ? lastTurnRef : undefined}>
              <p className="chat-question">
                <span className="muted">You asked:</span> <strong>{t.question}</strong>
              </p>
              {t.state === "pending" && <Loading label="Working out the answer…" />}
              {t.state === "error" && <ErrorBox error={t.error} title="Could not answer" onRetry={pending ? undefined : () => retry(t)} />}
              {t.state === "done" && t.outcome.kind === "refused" && (
                <div className="status status-warn" role="alert" data-testid="chat-refusal">
                  <strong>Not answered, refused for safety.</strong> {t.outcome.refusal.detail}
                </div>
              )}
              {t.state === "done" && t.outcome.kind === "answer" && (
                <Answer a={t.outcome.answer} turn={t.id} onSuggestion={(s) => suggest(t, s)} onAsk={(q) => void send(q)} disabled={pending} />
              )}
            </li>
          ))}
        </ol>
      )}

      <form className="card chat-form" onSubmit={onSubmit} data-testid="chat-form" aria-label="Ask a question">
        <label className="field" htmlFor="chat-question">
          <span>Your question (Enter asks, Shift+Enter for a new line)</span>
          <textarea
            id="chat-question"
            ref={inputRef}
            data-testid="chat-question"
            rows={2}
            maxLength={4000}
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder="e.g. accuracy by region last 6 months"
          />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={pending || !question.trim()}>
            {pending ? "Asking…" : "Ask"}
          </button>
          {conversationId && <span className="muted small chat-cid">Follow-ups continue this conversation.</span>}
        </div>
        <div className="chat-examples">
          <span className="muted small" id="chat-examples-label">
            Examples:
          </span>
          <div className="chips" role="group" aria-labelledby="chat-examples-label">
            {EXAMPLE_QUESTIONS.map((q) => (
              <button key={q} type="button" className="chip" disabled={pending} onClick={() => void send(q)} data-testid="chat-example">
                {q}
              </button>
            ))}
          </div>
        </div>
      </form>
    </>
  );
}

function Answer({
  a,
  turn,
  onSuggestion,
  onAsk,
  disabled,
}: {
  a: ChatResponse;
  turn: number;
  onSuggestion: (s: string) => void;
  onAsk: (q: string) => void;
  disabled: boolean;
}) {
  const notes = a.notes ?? [];
  const clarification = a.clarification ?? null;
  const choices = clarification?.choices ?? [];
  // a clarification's choices replace the plain did-you-mean chips (they carry the re-asked question)
  const suggestions = clarification ? [] : (a.did_you_mean ?? []);
  const ignored = a.ignored ?? [];
  const used = a.used ?? [];
  const chart = chartData(a.columns, a.rows, a.chart);
  const columns: Column<TableRow>[] = a.columns.map((name, i) => ({
    key: colKey(i),
    header: name,
    align: isNumericColumn(a.rows, i) ? "right" : "left",
    render: (row) => cellText(row[colKey(i)], name),
  }));
  const yFormat = chart ? (v: number) => cellText(v, a.chart.y ?? "") : undefined;
  return (
    <>
      <p className="chat-answer" data-testid="chat-answer">
        {a.answer}
      </p>
      {clarification && (
        <div className="chat-clarification status status-warn" role="status" data-testid="chat-clarification">
          <p className="small">
            Not answered: I did not understand <strong>“{clarification.term}”</strong>, and it could change the number.
          </p>
          {choices.length > 0 && (
            <div className="chips" role="group" aria-label={`Choices for ${clarification.term}`}>
              {choices.map((c) => (
                <button key={`${c.dim}:${c.value}`} type="button" className="chip" disabled={disabled} onClick={() => onAsk(c.question)} title={c.question} data-testid="chat-choice">
                  {c.label}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
      {ignored.length > 0 && (
        <p className="chat-ignored small" data-testid="chat-ignored">
          <span className="muted">Ignored (changes nothing):</span> {ignored.map((w) => `“${w}”`).join(", ")}
        </p>
      )}
      {used.length > 0 && (
        <details className="chat-used small" data-testid="chat-used">
          <summary>How I read the question</summary>
          <ul>
            {used.map((u, i) => (
              <li key={`${u.text}-${i}`}>
                <strong>{u.text}</strong> <span className="muted">({u.role})</span>: {u.meaning}
              </li>
            ))}
          </ul>
        </details>
      )}
      {notes.length > 0 && (
        <ul className="chat-notes small" aria-label="Notes" data-testid="chat-notes">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {suggestions.length > 0 && (
        <div className="chat-suggestions" data-testid="chat-did-you-mean">
          <span className="small" id={`dym-${turn}`}>
            Did you mean:
          </span>
          <div className="chips" role="group" aria-labelledby={`dym-${turn}`}>
            {suggestions.map((s) => (
              <button key={s} type="button" className="chip" disabled={disabled} onClick={() => onSuggestion(s)}>
                {s}
              </button>
            ))}
          </div>
        </div>
      )}
      {chart && (
        <ChartCard
          title={chart.title}
          testId="chat-chart"
          note={chart.omittedSeries > 0 ? `${chart.omittedSeries} more series in the table only.` : undefined}
        >
          {chart.type === "line" ? (
            <MultiLineChart rows={chart.rows} xKey={chart.xKey} lines={chart.series.map((key) => ({ key, dots: chart.rows.length <= 24 }))} yFormat={yFormat} />
          ) : (
            <MultiBarChart rows={chart.rows} xKey={chart.xKey} bars={chart.series.map((key) => ({ key }))} yFormat={yFormat} />
          )}
        </ChartCard>
      )}
      {a.sql !== null && (
        <DataTable
          caption={`Result: ${a.rows.length} row${a.rows.length === 1 ? "" : "s"}`}
          columns={columns}
          rows={tableRows(a.columns, a.rows)}
          rowKey={(r) => r._key}
          testId="chat-table"
          empty="No rows matched."
        />
      )}
      {a.sql && (
        <details className="chat-sql" data-testid="chat-sql">
          <summary>SQL that ran</summary>
          <pre>
            <code>{a.sql}</code>
          </pre>
        </details>
      )}
      <p className="muted small">Answered by: {a.mode === "rules" ? "the rule parser" : a.mode === "llm" ? "the LLM (SQL checked by the guard)" : a.mode === "sql" ? "your SQL (checked by the guard)" : "clarification"}</p>
    </>
  );
}
