// The organization's plan, usage against its limits, invoices, and the way to upgrade (Stripe
// Checkout) or manage payment (Stripe's Customer Portal). Self-hosted installs run without billing.
import { api, type Schemas } from "../api/client";
import { formatDate, h } from "../dom";
import { locale, type MessageKey, t } from "../i18n";
import { button, page, showError, showOk, status } from "../ui";

type Usage = Schemas["UsageOut"];

function usageRow(u: Usage): HTMLElement {
  const label = t(`bl.limit.${u.limit}` as MessageKey);
  const amount = u.allowed === null ? t("bl.usedOf", { used: u.used, allowed: "∞" }) : t("bl.usedOf", { used: u.used, allowed: u.allowed });
  const full = u.allowed !== null && u.used >= u.allowed;
  return h(
    "li",
    { class: full ? "over" : "", "data-limit": u.limit },
    h("span", {}, label),
    u.allowed === null ? null : h("meter", { min: 0, max: Math.max(u.allowed, 1), value: Math.min(u.used, u.allowed), high: u.allowed * 0.8, optimum: 0, "aria-label": label }),
    h("span", { class: full ? "status error" : "muted" }, amount),
  );
}

function money(cents: number, currency: string): string {
  return new Intl.NumberFormat(locale(), { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

export async function billing(q: URLSearchParams): Promise<HTMLElement> {
  const msg = status();
  const { data, error } = await api.GET("/api/v1/billing");
  if (!data) {
    showError(msg, error);
    return page(t("bl.title"), null, msg);
  }
  if (q.get("checkout") === "done") showOk(msg, t("bl.thanks"));
  const go = (path: "/api/v1/billing/checkout" | "/api/v1/billing/portal", plan?: string) => async () => {
    const r = path === "/api/v1/billing/checkout" ? await api.POST(path, { body: { plan: plan! } }) : await api.POST(path);
    if (r.data) location.assign(r.data.url);
    else showError(msg, r.error);
  };
  const usage = h("ul", { class: "plain usage" }, ...data.usage.map(usageRow));
  if (!data.enabled) {
    return page(t("bl.title"), t("bl.off"), msg, h("section", { class: "card" }, h("h2", {}, t("bl.usage")), usage));
  }
  const state = h(
    "p",
    { "data-testid": "plan" },
    t("bl.current", { plan: data.plan.name, price: data.plan.price }),
    data.status !== "none" ? ` · ${t(`bl.status.${data.status}` as MessageKey)}` : "",
    data.current_period_end ? ` · ${t(data.cancel_at_period_end ? "bl.endsOn" : "bl.renewsOn", { date: formatDate(data.current_period_end, locale()) })}` : "",
  );
  const grace = data.grace_until ? h("p", { class: "status error" }, t("bl.pastDue", { date: formatDate(data.grace_until, locale()) })) : null;
  const plans = h(
    "div",
    { class: "plans" },
    ...data.plans.map((p) =>
      h(
        "section",
        { class: "card plan", "data-plan": p.id },
        h("h3", {}, p.name),
        h("p", {}, p.price),
        h("ul", { class: "plain muted" }, ...Object.entries(p.limits).map(([k, v]) => h("li", {}, `${t(`bl.limit.${k}` as MessageKey)}: ${v ?? "∞"}`))),
        p.id === data.plan.id
          ? h("p", {}, h("span", { class: "tag" }, t("bl.yourPlan")))
          : p.for_sale
            ? button(t("bl.choose", { plan: p.name }), { class: "primary", onclick: go("/api/v1/billing/checkout", p.id) })
            : h("p", { class: "muted" }, t(p.default ? "bl.backToDefault" : "bl.contact")),
      ),
    ),
  );
  const invoices = data.invoices.length
    ? h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ...[t("bl.invoice"), t("bl.date"), t("bl.amount"), t("bl.invoiceStatus")].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          ...data.invoices.map((i) =>
            h(
              "tr",
              {},
              h("td", {}, i.hosted_invoice_url ? h("a", { href: i.hosted_invoice_url, target: "_blank", rel: "noopener" }, i.number ?? i.id) : (i.number ?? i.id)),
              h("td", {}, formatDate(i.created_at, locale())),
              h("td", {}, money(i.amount_paid || i.amount_due, i.currency)),
              h("td", {}, i.status),
            ),
          ),
        ),
      )
    : h("p", { class: "muted" }, t("bl.noInvoices"));
  return page(
    t("bl.title"),
    null,
    msg,
    h("section", { class: "card" }, state, grace, data.status !== "none" && data.status !== "manual" ? button(t("bl.manage"), { onclick: go("/api/v1/billing/portal") }) : null),
    h("section", { class: "card" }, h("h2", {}, t("bl.usage")), usage),
    h("h2", {}, t("bl.plans")),
    plans,
    h("section", { class: "card" }, h("h2", {}, t("bl.invoices")), invoices),
  );
}
