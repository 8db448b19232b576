// The organization's audit log, newest first, with "show more" pagination.
import { api, type Schemas } from "../api/client";
import { formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { current } from "../session";
import { button, page, showError, status } from "../ui";

export async function audit(): Promise<HTMLElement> {
  const msg = status();
  const rows = h("tbody");
  const more = button(t("audit.more"), { hidden: true });
  let cursor: string | null = null;

  const row = (e: Schemas["AuditEntry"]) =>
    h(
      "tr",
      {},
      h("td", {}, formatDate(e.created_at, locale())),
      h("td", {}, e.actor_email ?? (e.actor_api_key_id ? t("audit.apiKey") : "—")),
      h("td", {}, h("code", {}, e.action), e.target ? ` ${e.target}` : "", Object.keys(e.details).length ? h("span", { class: "muted" }, ` ${JSON.stringify(e.details)}`) : null),
    );

  async function load(): Promise<void> {
    const { data, error } = await api.GET("/api/v1/organization/audit-log", { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } });
    if (error) return showError(msg, error);
    rows.append(...data!.items.map(row));
    cursor = data!.next_cursor;
    more.hidden = cursor === null;
  }
  more.addEventListener("click", load);
  await load();
  return page(
    t("audit.title"),
    t("audit.lead", { org: current()!.organization.name }),
    msg,
    h("table", {}, h("thead", {}, h("tr", {}, ...[t("audit.when"), t("audit.who"), t("audit.what")].map((c) => h("th", { scope: "col" }, c)))), rows),
    more,
  );
}
