// The frame around every page: header with navigation, language and organization switchers,
// and banners (unconfirmed email, suspended organization).
import { api } from "./api/client";
import { h } from "./dom";
import { type Locale, locale, setLocale, t } from "./i18n";
import { bell } from "./notifications";
import { navigate } from "./router";
import { canManage, current, setCurrent } from "./session";
import { showError, showOk, status } from "./ui";

function languageSwitch(onChange: () => void): HTMLElement {
  const select = h(
    "select",
    { "aria-label": t("language"), class: "compact" },
    h("option", { value: "en", selected: locale() === "en" }, "English"),
    h("option", { value: "ru", selected: locale() === "ru" }, "Русский"),
  );
  select.addEventListener("change", () => {
    setLocale(select.value as Locale);
    onChange();
  });
  return select;
}

function organizationSwitch(): HTMLElement | null {
  const me = current();
  if (!me || me.organizations.length < 2) return null;
  const select = h(
    "select",
    { "aria-label": t("nav.switch"), class: "compact" },
    ...me.organizations.map((o) => h("option", { value: o.id, selected: o.id === me.organization.id }, o.name)),
  );
  select.addEventListener("change", async () => {
    const { data } = await api.POST("/api/v1/auth/switch-organization", { body: { organization_id: select.value } });
    if (data) {
      setCurrent(data);
      navigate("/team");
    }
  });
  return select;
}

function banners(): HTMLElement[] {
  const me = current();
  if (!me) return [];
  const out: HTMLElement[] = [];
  if (me.organization.status === "suspended") {
    out.push(h("div", { class: "banner danger", role: "alert" }, t("banner.suspended")));
  }
  if (!me.user.email_verified) {
    const msg = status();
    out.push(
      h(
        "div",
        { class: "banner" },
        t("banner.verify", { email: me.user.email }),
        " ",
        h(
          "button",
          {
            type: "button",
            class: "link",
            onclick: async () => {
              const { error } = await api.POST("/api/v1/auth/verify-email/resend");
              if (error) showError(msg, error);
              else showOk(msg, t("banner.resent"));
            },
          },
          t("banner.resend"),
        ),
        msg,
      ),
    );
  }
  return out;
}

export function shell(content: HTMLElement, rerender: () => void): HTMLElement {
  const me = current();
  const here = "/" + location.pathname.split("/")[1];
  const link = (href: string, label: string) =>
    h("a", { href, "aria-current": here === href ? "page" : undefined }, label);
  const nav = me
    ? h(
        "nav",
        { "aria-label": "Fairview" },
        link("/interviews", t("nav.interviews")),
        link("/analytics", t("nav.analytics")),
        link("/team", t("nav.team")),
        canManage() ? link("/api-keys", t("nav.apiKeys")) : null,
        link("/settings", t("nav.settings")),
        canManage() ? link("/audit", t("nav.audit")) : null,
        canManage() ? link("/oversight", t("nav.oversight")) : null,
        canManage() ? link("/privacy", t("nav.privacy")) : null,
        canManage() ? link("/fairness", t("nav.fairness")) : null,
        canManage() ? link("/webhooks", t("nav.webhooks")) : null,
        canManage() ? link("/billing", t("nav.billing")) : null,
      )
    : null;
  const logout = me
    ? h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: async () => {
            await api.POST("/api/v1/auth/logout");
            setCurrent(null);
            navigate("/login");
          },
        },
        t("nav.logout"),
      )
    : null;
  return h(
    "div",
    { class: "shell" },
    h(
      "header",
      {},
      h("a", { href: me ? "/interviews" : "/login", class: "brand" }, t("appName")),
      nav,
      h("div", { class: "tools" }, me ? h("span", { class: "muted who" }, me.organization.name) : null, organizationSwitch(), bell(), languageSwitch(rerender), logout),
    ),
    ...banners(),
    h("main", { id: "main" }, content),
  );
}

