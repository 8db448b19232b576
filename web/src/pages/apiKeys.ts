// API keys: create (the secret is shown once), list, revoke.
import { api, type Schemas } from "../api/client";
import { field, formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { button, input, page, showError, showOk, status, submitWith } from "../ui";

export async function apiKeys(): Promise<HTMLElement> {
  const msg = status();
  const rows = h("tbody");
  const reveal = h("div", { class: "reveal", hidden: true });

  // Pages of the API's cursor: load() starts again from the first, "Show more" appends the next.
  let cursor: string | null = null;
  const more = button(t("list.more"), { class: "show-more", hidden: true, onclick: () => fetchPage(cursor) });
  async function fetchPage(after: string | null): Promise<void> {
    const { data, error } = await api.GET("/api/v1/api-keys", { params: { query: { limit: 50, ...(after ? { cursor: after } : {}) } } });
    if (error) return showError(msg, error);
    const items = data!.items.map(row);
    if (after) rows.append(...items);
    else rows.replaceChildren(...(items.length ? items : [h("tr", {}, h("td", { colspan: "5", class: "muted" }, t("keys.none")))]));
    cursor = data!.next_cursor;
    more.hidden = cursor === null;
  }
  const load = () => fetchPage(null);

  function row(k: Schemas["ApiKeyOut"]): HTMLElement {
    return h(
      "tr",
      {},
      h("td", {}, h("strong", {}, k.name), h("br"), h("code", {}, `${k.prefix}…`)),
      h("td", {}, k.scopes.map((s) => t(s === "read" ? "keys.read" : "keys.write")).join(", ")),
      h("td", {}, formatDate(k.created_at, locale())),
      h("td", {}, k.last_used_at ? formatDate(k.last_used_at, locale()) : t("never")),
      h(
        "td",
        {},
        button(t("keys.revoke"), {
          class: "link danger",
          onclick: async () => {
            if (!confirm(t("keys.confirmRevoke", { name: k.name }))) return;
            const { error } = await api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: k.id } } });
            if (error) showError(msg, error);
            else await load();
          },
        }),
      ),
    );
  }

  const scope = (value: string, label: string, checked: boolean) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "scope", value, checked }), label);
  const form = h(
    "form",
    { class: "inline" },
    h(
      "fieldset",
      {},
      field(t("keys.name"), input("name", "text", { maxlength: 100 })),
      h("div", { class: "field", role: "group", "aria-label": t("keys.scopes") }, h("span", { class: "label" }, t("keys.scopes")), scope("read", t("keys.read"), true), scope("write", t("keys.write"), false)),
      h("button", { type: "submit", class: "primary" }, t("keys.create")),
    ),
  );
  submitWith(
    form,
    msg,
    (v) => {
      const scopes = [...form.querySelectorAll<HTMLInputElement>("input[name=scope]:checked")].map((i) => i.value as "read" | "write");
      return api.POST("/api/v1/api-keys", { body: { name: v.name!, scopes } });
    },
    async (created) => {
      const secret = h("code", { class: "secret", "data-testid": "api-key-secret" }, created!.secret);
      reveal.replaceChildren(
        h("p", {}, h("strong", {}, t("keys.created"))),
        secret,
        button(t("keys.copy"), {
          onclick: async () => {
            await navigator.clipboard.writeText(created!.secret);
            showOk(msg, t("keys.copied"));
          },
        }),
      );
      reveal.hidden = false;
      form.reset();
      await load();
    },
  );

  await load();
  return page(
    t("keys.title"),
    t("keys.lead"),
    form,
    msg,
    reveal,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h("tr", {}, ...[t("keys.name"), t("keys.scopes"), t("keys.createdAt"), t("keys.lastUsed"), ""].map((c) => h("th", { scope: "col" }, c))),
      ),
      rows,
    ),
    more,
  );
}
