// Who is logged in: the token (localStorage) and the user (GET /auth/me), with the actions their role may do
// (see ./permissions.ts: the UI asks the API, it keeps no copy of the permission table).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, login as apiLogin, onUnauthorized, tokenStore, unwrap } from "../api/client";

import type { User } from "./permissions";

export { can, type Action, type Role, type User } from "./permissions";

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
