// Client-side routing over the History API; the server answers index.html for every page path.
export type Render = (query: URLSearchParams) => Promise<HTMLElement> | HTMLElement;

export interface Route {
  path: string;
  render: Render;
  public?: boolean; // reachable without logging in
}

export function match(routes: Route[], pathname: string): Route | undefined {
  const clean = pathname.replace(/\/+$/, "") || "/";
  return routes.find((r) => r.path === clean);
}

type Listener = () => void;
const listeners: Listener[] = [];

export function onNavigate(listener: Listener): void {
  listeners.push(listener);
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
