// TanStack Query hooks over the governance endpoints (types from the generated schema).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";

type Status = Schemas["OverridePublic"]["status"];

export function useOverrides(q: { status?: Status | null; dfu_id?: string | null; limit: number; offset: number }) {
  return useQuery({
    queryKey: ["overrides", q],
    queryFn: async () =>
      unwrap(
        await api.GET("/overrides", {
          params: {
            query: {
              status: q.status ?? undefined,
              dfu_id: q.dfu_id || undefined,
              limit: q.limit,
              offset: q.offset,
            },
          },
        }),
      ),
    placeholderData: (prev) => prev,
  });
}

export function useOverride(id: number | null) {
  return useQuery({
    queryKey: ["override", id],
    queryFn: async () => unwrap(await api.GET("/overrides/{override_id}", { params: { path: { override_id: id! } } })),
    enabled: id !== null,
  });
}

/** What the current user may do to this override now, and why not: the API's rule (the UI keeps no copy). */
export function useOverrideActions(id: number, version: number) {
  return useQuery({
    queryKey: ["override", id, "actions", version],
    queryFn: async () => unwrap(await api.GET("/overrides/{override_id}/actions", { params: { path: { override_id: id } } })),
  });
}

export function useComments(id: number) {
  return useQuery({
    queryKey: ["override", id, "comments"],
    queryFn: async () => unwrap(await api.GET("/overrides/{override_id}/comments", { params: { path: { override_id: id } } })),
  });
}

export function useOverrideAudit(id: number) {
  return useQuery({
    queryKey: ["override", id, "audit"],
    queryFn: async () =>
      unwrap(await api.GET("/overrides/{override_id}/audit", { params: { path: { override_id: id }, query: { limit: 500 } } })),
  });
}

/** After any change: every override list, the override itself, and DFU views showing overrides. */
function useInvalidate() {
  const qc = useQueryClient();
  return (id?: number) => {
    void qc.invalidateQueries({ queryKey: ["overrides"] });
    if (id !== undefined) void qc.invalidateQueries({ queryKey: ["override", id] });
    void qc.invalidateQueries({ queryKey: ["dfu"] });
  };
}

export function useCreateOverride() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({ body, submit }: { body: Schemas["OverrideCreate"]; submit: boolean }) => {
      const created = unwrap(await api.POST("/overrides", { body }));
      if (!submit) return created;
      return unwrap(
        await api.POST("/overrides/{override_id}/submit", {
          params: { path: { override_id: created.id } },
          body: { version: created.version },
        }),
      );
    },
    onSuccess: (o) => invalidate(o.id),
  });
}

export function useSubmitOverride() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (o: Schemas["OverridePublic"]) =>
      unwrap(await api.POST("/overrides/{override_id}/submit", { params: { path: { override_id: o.id } }, body: { version: o.version } })),
    onSuccess: (o) => invalidate(o.id),
  });
}

export function useDecideOverride() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({ o, decision, note }: { o: Schemas["OverridePublic"]; decision: "approve" | "reject"; note: string }) => {
      const opts = { params: { path: { override_id: o.id } }, body: { version: o.version, note } };
      const result =
        decision === "approve"
          ? await api.POST("/overrides/{override_id}/approve", opts)
          : await api.POST("/overrides/{override_id}/reject", opts);
      return unwrap(result);
    },
    onSuccess: (o) => invalidate(o.id),
  });
}

/** Withdraw an approved override (a note is required); the DFU views refetch, so the final forecast reverts. */
export function useWithdrawOverride() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({ o, note }: { o: Schemas["OverridePublic"]; note: string }) =>
      unwrap(
        await api.POST("/overrides/{override_id}/withdraw", {
          params: { path: { override_id: o.id } },
          body: { version: o.version, note },
        }),
      ),
    onSuccess: (o) => invalidate(o.id),
  });
}

export function useAddComment(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: string) =>
      unwrap(await api.POST("/overrides/{override_id}/comments", { params: { path: { override_id: id } }, body: { body } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["override", id] });
    },
  });
}
