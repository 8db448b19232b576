// The logged-in person, their organization and role, shared by the pages.
import { api, type Me } from "./api/client";

let me: Me | null = null;

export function current(): Me | null {
  return me;
}

export function setCurrent(value: Me | null): void {
  me = value;
}

export async function refresh(): Promise<Me | null> {
  const { data, response } = await api.GET("/api/v1/auth/me");
  me = response.ok && data ? data : null;
  return me;
}

/** Owners and admins manage the team, API keys and organization settings (as the API enforces). */
export function canManage(): boolean {
  return me?.role === "owner" || me?.role === "admin";
}
