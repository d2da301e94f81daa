import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { useAuth } from "./AuthContext";

const DEMO_USERS = ["viewer", "planner", "planner2", "approver", "approver2", "admin"];

/** Only same-app paths are followed after login (no open redirect). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/app/") && !next.startsWith("/app/login") ? next : "/app/overview";
}

export function LoginPage() {
  const { token, login } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  if (token && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Lakecast</h1>
        <p className="muted">Demand forecasting: sign in to continue.</p>
        <label className="field" htmlFor="username">
          <span>Username</span>
          <input id="username" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label className="field" htmlFor="password">
          <span>Password</span>
          <input id="password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <div className="status status-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">
          Demo users: {DEMO_USERS.join(", ")} (password <code>lakecast</code>, demo data only).
        </p>
      </form>
    </div>
  );
}
