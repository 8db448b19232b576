// The adverse-impact report for admins: per stage (AI scoring, human selection) and dimension
// (sex, race/ethnicity, both) the counts, rates and impact ratios, with exclusions, small-sample
// marks and four-fifths flags; for the organization or one interview (?interview=<id>).
import { api, type Schemas } from "../api/client";
import { h } from "../dom";
import { locale, type MessageKey, t } from "../i18n";
import { navigate } from "../router";
import { page, showError, status } from "../ui";

type Report = Schemas["ImpactReport"];
type Stage = Schemas["StageReport"];
type Table = Schemas["DimensionTable"];

const number = (v: number, digits = 4) => v.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
const percent = (v: number) => v.toLocaleString(locale(), { style: "percent", maximumFractionDigits: 1 });

function label(category: string): string {
  return category
    .split("/")
    .map((c) => t(`fx.cat.${c}` as MessageKey))
    .join(" · ");
}

function table(x: Table, stage: string): HTMLElement {
  const head = [t("fx.category"), t("fx.count"), t("fx.share"), t("fx.selected"), t("fx.rate"), t("fx.ratio"), t("fx.notes")];
  return h(
    "div",
    { class: "table-scroll" },
    h("h4", {}, t(`fx.dimension.${x.dimension}` as MessageKey)),
    h(
      "table",
      { "data-stage": stage, "data-dimension": x.dimension },
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        ...x.rows.map((r) =>
          h(
            "tr",
            { "data-category": r.category, class: r.four_fifths ? "flagged" : undefined },
            h("th", { scope: "row" }, label(r.category)),
            h("td", {}, String(r.count)),
            h("td", {}, percent(r.share)),
            h("td", {}, String(r.selected)),
            h("td", {}, r.count ? number(r.rate) : "—"),
            h("td", { class: "ratio" }, r.impact_ratio === null || r.impact_ratio === undefined ? "—" : number(r.impact_ratio)),
            h("td", {}, [r.excluded, r.four_fifths ? `⚠ ${t("fx.flag")}` : null, r.small_sample ? t("fx.small") : null].filter(Boolean).join("; ")),
          ),
        ),
      ),
    ),
    h("p", { class: "muted" }, t("fx.unknown", { count: x.unknown })),
  );
}

function stageView(x: Stage): HTMLElement {
  return h(
    "section",
    { class: "card", "data-stage": x.stage },
    h("h2", {}, x.title),
    h("p", { class: "muted" }, x.definition),
    x.warnings.length ? h("ul", { class: "warnings" }, ...x.warnings.map((w) => h("li", {}, w))) : null,
    x.available ? h("p", {}, t("fx.total", { total: x.total, pending: x.pending })) : null,
    ...x.tables.map((tb) => table(tb, x.stage)),
  );
}

export async function fairness(query: URLSearchParams): Promise<HTMLElement> {
  const msg = status();
  const interview = query.get("interview");
  const [report, interviews] = await Promise.all([
    interview
      ? api.GET("/api/v1/interviews/{interview_id}/adverse-impact", { params: { path: { interview_id: interview } } })
      : api.GET("/api/v1/adverse-impact"),
    api.GET("/api/v1/interviews", { params: { query: { limit: 200 } } }),
  ]);
  const scope = h(
    "select",
    { id: "fairness-scope" },
    h("option", { value: "" }, t("fx.organization")),
    ...(interviews.data?.items ?? []).map((i) => h("option", { value: i.id, selected: i.id === interview }, i.title)),
  );
  scope.addEventListener("change", () => navigate(scope.value ? `/fairness?interview=${scope.value}` : "/fairness"));
  if (report.error || !report.data) {
    showError(msg, report.error);
    return page(t("fx.title"), t("fx.lead"), msg);
  }
  const r: Report = report.data;
  const csv = interview ? `/api/v1/interviews/${interview}/adverse-impact.csv` : "/api/v1/adverse-impact.csv";
  return page(
    t("fx.title"),
    t("fx.lead"),
    msg,
    h("div", { class: "filters" }, h("label", { for: "fairness-scope" }, t("fx.scope")), scope, " ", h("a", { href: csv, download: "" }, t("fx.export"))),
    h("p", {}, t("fx.completed", { completed: r.completed, identified: r.self_identified })),
    ...r.medians.map((m) => h("p", { class: "muted" }, t("fx.median", { title: m.title, median: number(m.median, 2), scored: m.scored }))),
    ...r.stages.map(stageView),
    h("ul", { class: "muted" }, ...r.notes.map((n) => h("li", {}, n))),
  );
}
