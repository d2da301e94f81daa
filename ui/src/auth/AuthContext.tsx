// Who is logged in: the token (localStorage) and the user (GET /auth/me). Role checks for the UI live in
// `can`; the API enforces the same rules, the UI only hides what a role may not do.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, login as apiLogin, onUnauthorized, tokenStore, unwrap, type Schemas } from "../api/client";

export type User = Schemas["UserPublic"];
export type Role = User["role"];

export type Action = "override.create" | "override.decide" | "override.comment" | "audit.read" | "competition.edit";

const PERMISSIONS: Record<Action, readonly Role[]> = {
  "override.create": ["planner", "admin"],
  "override.decide": ["approver", "admin"],
  "override.comment": ["planner", "approver", "admin"],
  "audit.read": ["approver", "admin"],
  "competition.edit": ["admin"],
};

/** Whether `role` may do `action` (mirrors the API's role checks, docs/governance.md). */
export function can(role: Role | undefined, action: Action): boolean {
  return role !== undefined && PERMISSIONS[action].includes(role);
}

type AuthState = {
  token: string | null;
  user: User | undefined;
  loading: boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
};

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const queryClient = useQueryClient();

  const me = useQuery({
    queryKey: ["auth", "me", token],
    queryFn: async () => unwrap(await api.GET("/auth/me")),
    enabled: token !== null,
    staleTime: 5 * 60_000,
    retry: false,
  });

  const logout = useCallback(() => {
    tokenStore.clear();
    setToken(null);
    queryClient.clear();
  }, [queryClient]);

  useEffect(() => onUnauthorized(logout), [logout]);

  const login = useCallback(async (username: string, password: string) => {
    const t = await apiLogin(username, password);
    tokenStore.set(t.access_token);
    queryClient.clear();
    setToken(t.access_token);
  }, [queryClient]);

  const value = useMemo<AuthState>(
    () => ({ token, user: me.data, loading: token !== null && me.isPending, login, logout }),
    [token, me.data, me.isPending, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
