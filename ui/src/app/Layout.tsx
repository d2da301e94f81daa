import type { ReactNode } from "react";
import { Navigate, NavLink, Outlet, useLocation } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { Loading } from "../components/Status";
import { NAV } from "./nav";

export function RequireAuth({ children }: { children: ReactNode }) {
  const { token, user, loading } = useAuth();
  const location = useLocation();
  if (!token) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/app/login?next=${next}`} replace />;
  }
  if (loading || !user) return <Loading label="Signing in…" />;
  return <>{children}</>;
}

export function Layout() {
  const { user, logout } = useAuth();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">Lakecast</div>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.hidden).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} className={({ isActive }) => (isActive ? "active" : undefined)}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user" data-testid="current-user">
          <span className="user-name">{user?.display_name ?? user?.username}</span>
          <span className={`role-badge role-${user?.role}`} data-testid="current-role">
            {user?.role}
          </span>
          <button type="button" className="link-button" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
