// The pages, in navigation order. A page is one entry here (lazy-loaded: the chart library loads with the
// first chart page, not with the login form). The Chat page is the NL-questions work (issue 6).
import { lazy, Suspense, type ComponentType, type ReactNode } from "react";
import { Loading } from "../components/Status";

function page(load: () => Promise<{ default: ComponentType }>): ReactNode {
  const Component = lazy(load);
  return (
    <Suspense fallback={<Loading />}>
      <Component />
    </Suspense>
  );
}

export type NavItem = { to: string; label: string; hidden?: boolean; routes: { path: string; element: ReactNode }[] };

export const NAV: NavItem[] = [
  { to: "/app/overview", label: "Overview", routes: [{ path: "overview", element: page(() => import("../features/overview/OverviewPage")) }] },
  { to: "/app/accuracy", label: "Accuracy", routes: [{ path: "accuracy", element: page(() => import("../features/accuracy/AccuracyPage")) }] },
  { to: "/app/exceptions", label: "Exceptions", routes: [{ path: "exceptions", element: page(() => import("../features/exceptions/ExceptionsPage")) }] },
  {
    to: "/app/dfu",
    label: "DFU",
    routes: [
      { path: "dfu", element: page(() => import("../features/dfu/DfuSearchPage")) },
      { path: "dfu/:dfuId", element: page(() => import("../features/dfu/DfuPage")) },
    ],
  },
  { to: "/app/waterfall", label: "Waterfall", routes: [{ path: "waterfall", element: page(() => import("../features/waterfall/WaterfallPage")) }] },
  { to: "/app/overrides", label: "Overrides", routes: [{ path: "overrides", element: page(() => import("../features/overrides/index")) }] },
  { to: "/app/competition", label: "Competition", routes: [{ path: "competition", element: page(() => import("../features/competition/CompetitionPage")) }] },
  { to: "/app/clusters", label: "Clusters", routes: [{ path: "clusters", element: page(() => import("../features/clusters/ClustersPage")) }] },
  { to: "/app/runs", label: "Runs & quality", routes: [{ path: "runs", element: page(() => import("../features/runs/RunsPage")) }] },
  { to: "/app/chat", label: "Chat", routes: [{ path: "chat", element: page(() => import("../features/chat/ChatPage")) }] },
];
