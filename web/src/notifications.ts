// The bell: the unread count, pushed live over server-sent events, and a panel of recent
// notifications. One stream per signed-in member and organization, kept across page renders;
// EventSource reconnects by itself and the stream starts with the current count.
import { api, type Schemas } from "./api/client";
import { formatDate, h } from "./dom";
import { locale, type MessageKey, t } from "./i18n";
import { navigate } from "./router";
import { current } from "./session";
import { showError, status } from "./ui";

type Notification = Schemas["NotificationOut"];

let source: EventSource | null = null;
let sourceFor = "";
let unread = 0;
let onArrival: ((n: Notification) => void) | null = null; // the open panel, if any

function showUnread(): void {
  // The tab's title carries the count too, for a recruiter working in another tab.
  const title = document.title.replace(/^\(\d+\+?\) /, "");
  document.title = unread > 0 ? `(${unread > 99 ? "99+" : unread}) ${title}` : title;
  const count = document.getElementById("bell-count");
  const bell = document.getElementById("bell");
  if (!count || !bell) return;
  count.textContent = unread > 99 ? "99+" : String(unread);
  count.hidden = unread === 0;
  bell.setAttribute("aria-label", t("notif.bell", { n: unread }));
}

function connect(): void {
  const me = current();
  const key = me ? `${me.organization.id}:${me.user.id}` : "";
  if (key === sourceFor) return;
  source?.close();
  source = null;
  sourceFor = key;
  unread = 0;
  if (!me) return;
  source = new EventSource("/api/v1/notifications/stream");
  source.addEventListener("unread", (e) => {
    unread = (JSON.parse((e as MessageEvent<string>).data) as { unread: number }).unread;
    showUnread();
  });
  source.addEventListener("notification", (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { notification: Notification; unread: number };
    unread = data.unread;
    showUnread();
    onArrival?.(data.notification);
  });
}

export function wording(n: Notification): string {
  const vars = { candidate: n.data.candidate, interview: n.data.interview };
  if (n.kind === "candidate_decided") {
    const decision = n.data.decision ? t(`rv.d.${n.data.decision}` as MessageKey) : "";
    return t("notif.candidate_decided", { ...vars, decision });
  }
  if (n.kind === "invitation_failed") return t("notif.invitation_failed", { ...vars, error: n.data.error ?? "" });
  return t(`notif.${n.kind}`, vars);
}

// Where a notification leads: the candidate's answers, or the interview for an invitation.
function target(n: Notification): string {
  if (n.kind === "invitation_failed") return `/interviews/${n.data.interview_id}`;
  return n.candidate_id ? `/candidates/${n.candidate_id}` : "/interviews";
}

function item(n: Notification, close: () => void): HTMLElement {
  return h(
    "li",
    { class: n.read_at ? "read" : "unread" },
    h(
      "a",
      {
        href: target(n),
        onclick: async (event: Event) => {
          event.preventDefault();
          close();
          if (!n.read_at) await api.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: n.id } } });
          navigate(target(n));
        },
      },
      wording(n),
    ),
    h("time", { class: "muted", datetime: n.created_at }, formatDate(n.created_at, locale())),
  );
}

async function panel(close: () => void): Promise<HTMLElement> {
  const msg = status();
  const list = h("ul", { class: "notifications" });
  const empty = h("p", { class: "muted" }, t("notif.none"));
  const older = h("button", { type: "button", class: "link", hidden: true }, t("notif.older"));
  let cursor: string | null = null;
  // A page of notifications, newest first; "Show older" fetches the next one.
  async function more(): Promise<void> {
    const query = cursor ? { limit: 20, cursor } : { limit: 20 };
    const { data, error } = await api.GET("/api/v1/notifications", { params: { query } });
    if (error) return showError(msg, error);
    list.append(...data!.items.map((n) => item(n, close)));
    cursor = data!.next_cursor ?? null;
    older.hidden = cursor === null;
    empty.hidden = list.childElementCount > 0;
  }
  older.addEventListener("click", () => void more());
  await more();
  onArrival = (n) => {
    list.prepend(item(n, close));
    empty.hidden = true;
  };
  const markAll = h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: async () => {
        const r = await api.POST("/api/v1/notifications/read-all");
        if (r.error) return showError(msg, r.error);
        list.querySelectorAll("li.unread").forEach((li) => li.classList.replace("unread", "read"));
      },
    },
    t("notif.markAll"),
  );
  return h(
    "div",
    { class: "bell-panel", role: "dialog", "aria-label": t("notif.title") },
    h("div", { class: "row" }, h("strong", {}, t("notif.title")), markAll),
    list,
    older,
    empty,
    msg,
    h("a", { href: "/settings#email-preferences", onclick: () => close() }, t("notif.preferences")),
  );
}

function bellIcon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z");
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

/** The bell for the header (null when nobody is signed in). */
export function bell(): HTMLElement | null {
  connect();
  if (!current()) return null;
  const holder = h("div", { class: "bell-holder" });
  let open: HTMLElement | null = null;
  // The panel closes on Escape (focus back on the bell) and on a click outside it.
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "Escape") return;
    close();
    button.focus();
  };
  const onOutside = (e: MouseEvent) => {
    if (!holder.contains(e.target as Node)) close();
  };
  const close = () => {
    open?.remove();
    open = null;
    onArrival = null;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("click", onOutside);
  };
  const button = h(
    "button",
    {
      type: "button",
      id: "bell",
      class: "bell",
      "aria-expanded": "false",
      "aria-haspopup": "dialog",
      onclick: async () => {
        if (open) return close();
        button.setAttribute("aria-expanded", "true");
        open = await panel(close);
        holder.append(open);
        document.addEventListener("keydown", onKey);
        document.addEventListener("click", onOutside);
      },
    },
    bellIcon(),
    h("span", { id: "bell-count", class: "count", hidden: true }),
  );
  holder.append(button);
  queueMicrotask(showUnread); // once the header is in the document
  return holder;
}
