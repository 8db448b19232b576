// AI oversight for admins: the organization's AI switch, the audit of AI runs (filters, export),
// reviewer overrides of AI scores, and candidates' requests (human-only review, accommodation).
import { api, type Schemas } from "../api/client";
import { formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { button, page, showError, showOk, status } from "../ui";

type Kind = "transcription" | "evaluation" | "live_evaluation" | "summary";

export async function oversight(): Promise<HTMLElement> {
  const msg = status();
  const settings = await api.GET("/api/v1/compliance/settings");
  const ai = h("input", { type: "checkbox", id: "ai-evaluation", checked: settings.data?.ai_evaluation ?? true });
  ai.addEventListener("change", async () => {
    const r = await api.PUT("/api/v1/compliance/settings", { body: { ai_evaluation: (ai as HTMLInputElement).checked } });
    if (r.error) return showError(msg, r.error);
    showOk(msg, t("saved"));
  });
  const kind = h("select", { id: "run-kind" }, h("option", { value: "" }, t("ov.all")), ...(["transcription", "evaluation", "live_evaluation", "summary"] as Kind[]).map((k) => h("option", { value: k }, k)));
  const model = h("input", { id: "run-model", type: "text" });
  const candidate = h("input", { id: "run-candidate", type: "text" });
  const rows = h("tbody");
  const exportLink = h("a", { href: "/api/v1/ai-runs.csv" }, t("ov.export"));
  async function load(): Promise<void> {
    const query: { kind?: Kind; model?: string; candidate?: string } = {};
    const k = (kind as HTMLSelectElement).value;
    if (k) query.kind = k as Kind;
    if ((model as HTMLInputElement).value) query.model = (model as HTMLInputElement).value;
    if ((candidate as HTMLInputElement).value) query.candidate = (candidate as HTMLInputElement).value;
    const r = await api.GET("/api/v1/ai-runs", { params: { query } });
    if (r.error) return showError(msg, r.error);
    exportLink.setAttribute("href", `/api/v1/ai-runs.csv?${new URLSearchParams(query as Record<string, string>).toString()}`);
    rows.replaceChildren(
      ...r.data!.items.map((x: Schemas["AiRun"]) =>
        h(
          "tr",
          {},
          h("td", {}, formatDate(x.created_at, locale())),
          h("td", {}, x.kind),
          h("td", {}, x.model),
          h("td", {}, h("code", {}, x.input_hash.slice(0, 12))),
          h("td", {}, `${x.tokens_in ?? "—"} / ${x.tokens_out ?? "—"}`),
          h("td", {}, x.error ?? ""),
          h("td", {}, h("details", {}, h("summary", {}, t("ov.output")), h("pre", {}, JSON.stringify(x.output, null, 2)))),
        ),
      ),
    );
  }
  const filter = h("form", { class: "filters" }, h("label", { for: "run-kind" }, t("ov.kind")), kind, h("label", { for: "run-model" }, t("ov.model")), model, h("label", { for: "run-candidate" }, t("ov.candidate")), candidate, h("button", { type: "submit" }, t("ov.filter")), " ", exportLink);
  filter.addEventListener("submit", (e) => (e.preventDefault(), void load()));
  await load();

  const overrides = await api.GET("/api/v1/ai-overrides");
  const requests = await api.GET("/api/v1/candidate-requests", { params: { query: { open_only: true } } });
  const requestList = h(
    "ul",
    {},
    ...(requests.data?.items ?? []).map((r: Schemas["CandidateRequest"]) => {
      const done = button(t("ov.resolve"), {
        onclick: async () => {
          const x = await api.POST("/api/v1/candidate-requests/{request_id}/resolve", { params: { path: { request_id: r.id } } });
          if (x.error) return showError(msg, x.error);
          item.remove();
        },
      });
      const item = h("li", {}, h("a", { href: `/candidates/${r.candidate_id}` }, r.candidate), ` — ${t(`ov.req.${r.kind}` as "ov.req.accommodation")}`, r.message ? `: “${r.message}”` : "", " ", done);
      return item;
    }),
  );
  return page(
    t("ov.title"),
    t("ov.lead"),
    msg,
    h("section", { class: "card" }, h("div", { class: "check-row" }, ai, h("label", { for: "ai-evaluation" }, t("ov.aiSwitch")))),
    h("section", { class: "card" }, h("h2", {}, t("ov.requests")), requestList.children.length ? requestList : h("p", { class: "muted" }, t("ov.none"))),
    h("section", { class: "card" }, h("h2", {}, t("ov.runs")), filter, h("div", { class: "table-scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ...[t("audit.when"), t("ov.kind"), t("ov.model"), t("ov.hash"), t("ov.tokens"), t("ov.error"), t("ov.output")].map((c) => h("th", { scope: "col" }, c)))), rows))),
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("ov.overrides")),
      h("ul", {}, ...(overrides.data?.items ?? []).map((o: Schemas["AiOverride"]) => h("li", {}, `${o.candidate}${o.criterion ? ` · ${o.criterion}` : ""}: ${t("ov.overrideLine", { ai: o.ai_score, human: o.human_value, who: o.reviewer ?? "—" })}`))),
    ),
  );
}
