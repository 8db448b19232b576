// Organization settings: name and the default language of team emails.
import { api } from "../api/client";
import { field, h } from "../dom";
import { t } from "../i18n";
import { canManage, current, refresh } from "../session";
import { input, page, showOk, status, submitWith } from "../ui";

export function settings(): HTMLElement {
  const org = current()!.organization;
  const msg = status();
  const localeSelect = h(
    "select",
    { name: "locale" },
    h("option", { value: "en", selected: org.locale === "en" }, "English"),
    h("option", { value: "ru", selected: org.locale === "ru" }, "Русский"),
  );
  const form = h(
    "form",
    {},
    h(
      "fieldset",
      { disabled: !canManage() },
      field(t("settings.name"), input("name", "text", { value: org.name, maxlength: 200 })),
      field(t("settings.locale"), localeSelect),
      h("button", { type: "submit", class: "primary" }, t("save")),
    ),
  );
  submitWith(
    form,
    msg,
    (v) => api.PATCH("/api/v1/organization", { body: { name: v.name!, locale: v.locale as "en" | "ru" } }),
    async () => {
      await refresh();
      document.dispatchEvent(new CustomEvent("fairview:session"));
      showOk(msg, t("saved"));
    },
  );
  return page(t("settings.title"), null, form, msg);
}
