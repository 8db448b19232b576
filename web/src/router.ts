// Client-side routing over the History API; the server answers index.html for every page path.
export type Params = Record<string, string>;
export type Render = (query: URLSearchParams, params: Params) => Promise<HTMLElement> | HTMLElement;

export interface Route {
  path: string; // "/interviews/:id" style
  render: Render;
  public?: boolean; // reachable without logging in
  bare?: boolean; // no recruiter header (the candidate's pages)
}

export function match(routes: Route[], pathname: string): { route: Route; params: Params } | undefined {
  const parts = (pathname.replace(/\/+$/, "") || "/").split("/");
  for (const route of routes) {
    const pattern = route.path.split("/");
    if (pattern.length !== parts.length) continue;
    const params: Params = {};
    const ok = pattern.every((p, i) => {
      if (p.startsWith(":")) {
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
        return parts[i] !== "";
      }
      return p === parts[i];
    });
    if (ok) return { route, params };
  }
  return undefined;
}

type Listener = () => void;
const listeners: Listener[] = [];

/** Calls ``listener`` after every in-app navigation; returns a function that stops it. */
export function onNavigate(listener: Listener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  listeners.forEach((l) => l());
}

/** Same-origin links navigate without reloading the page. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    const link = (event.target as HTMLElement).closest("a");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || link.target) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

window.addEventListener("popstate", () => listeners.forEach((l) => l()));
