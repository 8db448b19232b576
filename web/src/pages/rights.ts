// The candidate's rights page (the link in their confirmation email): what the AI evaluates,
// generated from the interview's rubric, what it never does, and requests for a review by
// people only or an accommodation; a copy of their data, and its deletion.
import { api, type Schemas } from "../api/client";
import { h } from "../dom";
import { t } from "../i18n";
import { page, showError, showOk, status } from "../ui";

export function noticeView(n: Schemas["CandidateNotice"]): HTMLElement {
  return h(
    "div",
    { class: "ai-notice" },
    h("p", {}, n.engine),
    h("ol", {}, ...n.evaluates.map((q) => h("li", {}, h("ul", {}, ...q.criteria.map((c) => h("li", {}, h("strong", {}, c.name), c.strong_answer ? ` — ${c.strong_answer}` : "")))))),
    h("h3", {}, t("rg.never")),
    h("ul", {}, ...n.never.map((x) => h("li", {}, x))),
  );
}

export async function rightsPage(_q: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const token = params.token!;
  const msg = status();
  const r = await api.GET("/api/v1/rights/{token}", { params: { path: { token } } });
  if (!r.data) {
    showError(msg, r.error);
    return page(t("rg.title"), null, msg);
  }
  const n = r.data;
  const state = h("p", { role: "status" }, n.ai_active ? t("rg.aiActive") : t("rg.aiOff", { reason: n.ai_off_reason ?? "" }));
  const kind = h("select", { id: "request-kind" }, h("option", { value: "human_review" }, t("rg.humanReview")), h("option", { value: "accommodation" }, t("rg.accommodation")));
  const message = h("textarea", { id: "request-message", maxlength: 2000, rows: 3 });
  const form = h("form", {}, h("label", { for: "request-kind" }, t("rg.ask")), kind, h("label", { for: "request-message" }, t("rg.message")), message, h("button", { type: "submit", class: "primary" }, t("rg.send")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const x = await api.POST("/api/v1/rights/{token}/requests", {
      params: { path: { token } },
      body: { kind: (kind as HTMLSelectElement).value as "human_review" | "accommodation", message: (message as HTMLTextAreaElement).value },
    });
    if (x.error) return showError(msg, x.error);
    state.textContent = x.data!.ai_active ? t("rg.aiActive") : t("rg.aiOff", { reason: x.data!.ai_off_reason ?? "" });
    showOk(msg, t("rg.sent"));
  });
  const data = await api.GET("/api/v1/rights/{token}/data-requests", { params: { path: { token } } });
  const erase = h("button", { type: "button" }, t("rg.erase"));
  erase.addEventListener("click", async () => {
    if (!confirm(t("rg.eraseConfirm"))) return;
    const x = await api.POST("/api/v1/rights/{token}/data-requests", { params: { path: { token } }, body: { kind: "erasure" } });
    if (x.error) return showError(msg, x.error);
    showOk(msg, t("rg.eraseAsked"));
  });
  const yours = h("p", {}, data.data ? h("a", { href: data.data.export_url, download: "" }, t("rg.download")) : null, " ", erase);
  return page(t("rg.title"), t("rg.lead", { org: n.organization, interview: n.interview }), state, h("h2", {}, t("rg.evaluates")), noticeView(n), h("h2", {}, t("rg.requests")), form, h("h2", {}, t("rg.data")), yours, msg);
}
