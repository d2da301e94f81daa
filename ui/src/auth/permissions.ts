// What the logged-in user may do. The API owns the permission table (contracts.app.PERMISSIONS) and serves each
// user's actions in GET /auth/me; `can` only reads them, so the UI hides what the API would refuse and never
// keeps a copy of the rule (docs/governance.md, "Roles"). Pure: no client import, testable without a window.
import type { components } from "../api/schema";

export type User = components["schemas"]["Me"];
export type Role = User["role"];
export type Action = User["permissions"][number];

/** Whether `user` may do `action`, as GET /auth/me says. */
export function can(user: Pick<User, "permissions"> | undefined, action: Action): boolean {
  return user !== undefined && user.permissions.includes(action);
}
