// Organization settings: name and the default language of team emails.
import { api } from "../api/client";
import { field, h } from "../dom";
import { t } from "../i18n";
import { canManage, current, refresh } from "../session";
import { input, page, showError, showOk, status, submitWith } from "../ui";

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
  return page(t("settings.title"), null, form, msg, emailPreferences());
}

// Personal: which team emails this member gets (the bell shows everything either way).
function emailPreferences(): HTMLElement {
  const msg = status();
  const kinds = ["candidate_completed", "evaluation_ready"] as const;
  const boxes = kinds.map((k) => h("input", { type: "checkbox", name: k }));
  const form = h(
    "form",
    {},
    h(
      "fieldset",
      { disabled: true },
      h("legend", {}, t("prefs.title")),
      h("p", { class: "muted" }, t("prefs.lead")),
      ...kinds.map((k, i) => h("label", { class: "check" }, boxes[i]!, " ", t(`prefs.${k}`))),
      h("button", { type: "submit" }, t("save")),
    ),
  );
  void api.GET("/api/v1/email-preferences").then(({ data, error }) => {
    if (error) return showError(msg, error);
    kinds.forEach((k, i) => (boxes[i]!.checked = data![k] !== false));
    form.querySelector("fieldset")!.disabled = false;
  });
  submitWith(
    form,
    msg,
    () => api.PUT("/api/v1/email-preferences", { body: { candidate_completed: boxes[0]!.checked, evaluation_ready: boxes[1]!.checked } }),
    () => showOk(msg, t("saved")),
  );
  return h("section", { id: "email-preferences" }, form, msg);
}
