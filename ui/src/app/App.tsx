// Providers and routes. Every UI route lives under /app (the API serves index.html there; see api/ui.py),
// so UI paths never collide with API paths such as /overrides.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { ApiError } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import { LoginPage } from "../auth/LoginPage";
import { Layout, RequireAuth } from "./Layout";
import { NAV } from "./nav";
import { NotFound } from "./NotFound";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      // client errors (4xx) are answers, not glitches: do not retry them
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

const router = createBrowserRouter([
  { path: "/", element: <Navigate to="/app/overview" replace /> },
  { path: "/app/login", element: <LoginPage /> },
  {
    path: "/app",
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <Navigate to="overview" replace /> },
      ...NAV.flatMap((item) => item.routes.map((r) => ({ path: r.path, element: r.element }))),
      { path: "*", element: <NotFound /> },
    ],
  },
  { path: "*", element: <Navigate to="/app/overview" replace /> },
]);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>
  );
}
