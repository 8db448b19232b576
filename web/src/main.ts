import "./styles.css";
import { h } from "./dom";
import { detectLocale, setLocale, t } from "./i18n";
import { shell } from "./layout";
import { acceptInvite, forgotPassword, login, resetPassword, signup, verifyEmail } from "./pages/auth";
import { apiKeys } from "./pages/apiKeys";
import { candidateApp, joinPublic } from "./pages/candidate";
import { interviewDetail, interviewList } from "./pages/interviews";
import { audit } from "./pages/audit";
import { oversight } from "./pages/oversight";
import { privacy } from "./pages/privacy";
import { fairness } from "./pages/fairness";
import { rightsPage } from "./pages/rights";
import { billing } from "./pages/billing";
import { webhooks } from "./pages/webhooks";
import { review } from "./pages/review";
import { analytics, compare } from "./pages/reporting";
import { sharedPage } from "./pages/shared";
import { settings } from "./pages/settings";
import { team } from "./pages/team";
import { unsubscribe } from "./pages/unsubscribe";
import { interceptLinks, match, navigate, onNavigate, type Route } from "./router";
import { current, refresh } from "./session";
import { page } from "./ui";

const routes: Route[] = [
  { path: "/login", render: login, public: true },
  { path: "/signup", render: signup, public: true },
  { path: "/forgot-password", render: forgotPassword, public: true },
  { path: "/reset-password", render: resetPassword, public: true },
  { path: "/verify-email", render: verifyEmail, public: true },
  { path: "/accept-invite", render: acceptInvite, public: true },
  { path: "/unsubscribe", render: unsubscribe, public: true },
  { path: "/", render: () => (navigate("/interviews", true), h("div")) },
  { path: "/interviews", render: interviewList },
  { path: "/interviews/:id", render: interviewDetail },
  { path: "/interviews/:id/compare", render: compare },
  { path: "/candidates/:id", render: review },
  { path: "/i/:token", render: candidateApp, public: true, bare: true },
  { path: "/join/:token", render: joinPublic, public: true, bare: true },
  { path: "/shared/:token", render: sharedPage, public: true, bare: true },
  { path: "/team", render: team },
  { path: "/api-keys", render: apiKeys },
  { path: "/settings", render: settings },
  { path: "/audit", render: audit },
  { path: "/oversight", render: oversight },
  { path: "/privacy", render: privacy },
  { path: "/fairness", render: fairness },
  { path: "/analytics", render: analytics },
  { path: "/rights/:token", render: rightsPage, public: true, bare: true },
  { path: "/billing", render: billing },
  { path: "/webhooks", render: webhooks },
];

const root = document.getElementById("app")!;

let renders = 0;

async function render(): Promise<void> {
  const mine = ++renders;
  const found = match(routes, location.pathname);
  const route = found?.route;
  if (route && !route.public && !current()) {
    navigate(`/login`, true);
    return;
  }
  if (current() && (location.pathname === "/login" || location.pathname === "/signup")) {
    navigate("/interviews", true);
    return;
  }
  root.setAttribute("aria-busy", "true");
  const content = route
    ? await route.render(new URLSearchParams(location.search), found!.params)
    : page(t("notFound.title"), null, h("a", { href: "/" }, t("notFound.back")));
  // Another render started while this page loaded (a navigation or a reload): the newer wins.
  if (mine !== renders) return;
  root.replaceChildren(route?.bare ? h("main", { id: "main", class: "candidate" }, content) : shell(content, () => void render()));
  root.removeAttribute("aria-busy");
  document.title = `${content.querySelector("h1")?.textContent ?? ""} · Fairview`;
  content.querySelector<HTMLElement>("h1")?.focus();
}

async function start(): Promise<void> {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem("fairview.locale");
  } catch {
    stored = null;
  }
  const me = await refresh();
  setLocale(detectLocale(stored ?? me?.user.locale ?? null, navigator.languages));
  interceptLinks(root);
  onNavigate(() => void render());
  document.addEventListener("fairview:session", () => void render());
  await render();
}

void start();
