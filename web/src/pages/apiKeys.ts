// API keys: create (the secret is shown once), list, revoke.
import { api, type Schemas } from "../api/client";
import { field, formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { button, input, page, showError, showOk, status, submitWith } from "../ui";

export async function apiKeys(): Promise<HTMLElement> {
  const msg = status();
  const rows = h("tbody");
  const reveal = h("div", { class: "reveal", hidden: true });

  async function load(): Promise<void> {
    const { data, error } = await api.GET("/api/v1/api-keys", { params: { query: { limit: 200 } } });
    if (error) return showError(msg, error);
    rows.replaceChildren(
      ...(data!.items.length ? data!.items.map(row) : [h("tr", {}, h("td", { colspan: "5", class: "muted" }, t("keys.none")))]),
    );
  }

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
  );
}
