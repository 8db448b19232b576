// Reporting: candidates side by side (question by question, criterion by criterion), the
// team's shortlist, the CSV export, the interview's funnel with where candidates stop, and the
// organization's analytics; every chart stands beside the table of its numbers.
import { api, type Schemas } from "../api/client";
import { barChart, COLORS } from "../charts";
import { h } from "../dom";
import { locale, t } from "../i18n";
import { navigate } from "../router";
import { button, page, showError, status } from "../ui";
import { sharesSection } from "./shared";

type Sort = "score" | "rating" | "name";
type Compared = Schemas["ComparedCandidate"];

const formatDay = (day: string) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${day}T00:00:00Z`));
const fmt = (n: number | null | undefined) => (n === null || n === undefined ? "—" : String(n));

function starButton(c: Compared, msg: HTMLElement): HTMLButtonElement {
  const el = button("", { class: "star", "aria-pressed": String(c.shortlisted) });
  const paint = () => {
    el.textContent = c.shortlisted ? "★" : "☆";
    el.setAttribute("aria-pressed", String(c.shortlisted));
    el.setAttribute("aria-label", t(c.shortlisted ? "rp.unstar" : "rp.star", { name: c.name }));
  };
  paint();
  el.addEventListener("click", async () => {
    const path = { params: { path: { candidate_id: c.id } } };
    const r = c.shortlisted ? await api.DELETE("/api/v1/candidates/{candidate_id}/shortlist", path) : await api.PUT("/api/v1/candidates/{candidate_id}/shortlist", path);
    if (r.error) return showError(msg, r.error);
    c.shortlisted = !c.shortlisted;
    paint();
  });
  return el;
}

function cell(a: Schemas["AnswerCell"]): HTMLElement {
  return h(
    "td",
    {},
    a.answer_id
      ? h("span", { class: "muted" }, [a.duration_ms ? t("rp.duration", { seconds: Math.round(a.duration_ms / 1000) }) : "", a.overall !== null ? t("rp.overall", { score: a.overall }) : ""].filter(Boolean).join(" · "))
      : h("span", { class: "muted" }, t("rp.noAnswer")),
    a.excerpt ? h("p", { class: "excerpt" }, a.excerpt) : null,
  );
}

// Keyword coverage (no LLM) is shown as the key points mentioned, never as a score.
function criterionCell(c: Schemas["CriterionCell"]): HTMLElement {
  if (c.covered !== null) {
    const total = c.covered.length + (c.missing ?? []).length;
    const team = t("rp.teamLine", { rating: `${fmt(c.team_average)} (${c.team_count})` });
    return h("td", { "data-criterion": c.criterion }, `${t("rp.covered", { n: c.covered.length, total, points: c.covered.join(", ") || "—" })} · ${team}`);
  }
  return h("td", { "data-criterion": c.criterion }, t("rp.criterionScores", { ai: fmt(c.score), team: fmt(c.team_average), n: c.team_count }));
}

function table(data: Schemas["Comparison"], msg: HTMLElement): HTMLElement {
  const people = data.candidates;
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, t("rp.question")),
    ...people.map((c) =>
      h(
        "th",
        { scope: "col", "data-candidate": c.id },
        starButton(c, msg),
        " ",
        h("a", { href: `/candidates/${c.id}` }, c.name),
        h("br"),
        h("span", { class: "muted" }, `${t(`cs.${c.status}` as "cs.completed")}${c.decision ? ` · ${t(`rv.d.${c.decision}` as "rv.d.advance")}` : ""}`),
        h("br"),
        h("span", {}, c.overall_score === null ? t("rp.teamLine", { rating: fmt(c.team_rating) }) : t("rp.scoreLine", { score: fmt(c.overall_score), rating: fmt(c.team_rating) })),
      ),
    ),
  );
  const rows: HTMLElement[] = [];
  data.questions.forEach((q, i) => {
    rows.push(h("tr", { class: "question" }, h("th", { scope: "row" }, `${q.position + 1}. ${q.prompt}`), ...people.map((c) => cell(c.answers[i]!))));
    q.criteria.forEach((name, j) => {
      rows.push(h("tr", {}, h("th", { scope: "row", class: "criterion" }, name), ...people.map((c) => criterionCell(c.answers[i]!.criteria[j]!))));
    });
  });
  return h("div", { class: "table-scroll" }, h("table", { class: "compare" }, h("caption", { class: "muted" }, t("rp.caption")), h("thead", {}, head), h("tbody", {}, ...rows)));
}

export async function compare(query: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const id = params.id!;
  const msg = status();
  const chosen = query.getAll("c");
  const sort = (query.get("sort") ?? "score") as Sort;
  const [iv, all, picked] = await Promise.all([
    api.GET("/api/v1/interviews/{interview_id}", { params: { path: { interview_id: id } } }),
    api.GET("/api/v1/interviews/{interview_id}/comparison", { params: { path: { interview_id: id }, query: { sort: "name" } } }),
    chosen.length ? api.GET("/api/v1/interviews/{interview_id}/comparison", { params: { path: { interview_id: id }, query: { candidate: chosen, sort } } }) : Promise.resolve(null),
  ]);
  if (!iv.data || !all.data) {
    showError(msg, iv.error ?? all.error);
    return page(t("rp.title"), null, msg);
  }
  const form = h(
    "form",
    { class: "compare-pick" },
    h(
      "fieldset",
      {},
      h("legend", {}, t("rp.pick")),
      ...all.data.candidates.map((c) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "c", value: c.id, checked: chosen.includes(c.id) }), ` ${c.shortlisted ? "★ " : ""}${c.name}`, h("span", { class: "muted" }, ` · ${t(`cs.${c.status}` as "cs.completed")}`)),
      ),
      all.data.candidates.length ? null : h("p", { class: "muted" }, t("rp.none")),
    ),
    h(
      "label",
      {},
      `${t("rp.sort")} `,
      h("select", { name: "sort" }, ...(["score", "rating", "name"] as Sort[]).map((s) => h("option", { value: s, selected: s === sort }, t(`rp.sort.${s}`)))),
    ),
    " ",
    h("button", { type: "submit" }, t("rp.compare")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    new FormData(form).forEach((v, k) => q.append(k, String(v)));
    navigate(`/interviews/${id}/compare?${q}`);
  });
  let result: HTMLElement | null = null;
  if (picked?.data) result = table(picked.data, msg);
  else if (picked?.error) showError(msg, picked.error);
  return page(t("rp.title"), iv.data.title, h("p", {}, h("a", { href: `/interviews/${id}` }, t("rv.back", { title: iv.data.title }))), form, msg, result);
}

type AnyFunnel = Schemas["Funnel"] | Schemas["OrganizationFunnel"];

let tables = 0;
/** A chart and, beside it, the table with its numbers (the table's caption names both). */
function figure(cls: string, caption: string, chart: (tableId: string) => HTMLElement, head: string[], rows: (string | number)[][]): HTMLElement {
  const id = `report-table-${++tables}`;
  return h(
    "div",
    { class: "figure", "data-figure": cls },
    chart(id),
    h(
      "table",
      { class: cls, id },
      h("caption", {}, caption),
      head.length ? h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))) : null,
      h("tbody", {}, ...rows.map(([first, ...rest]) => h("tr", {}, h("th", { scope: "row" }, String(first)), ...rest.map((v) => h("td", { class: "num" }, String(v)))))),
    ),
  );
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
const minutes = (seconds: number | null) => (seconds === null ? "—" : t("rp.minutes", { n: (seconds / 60).toFixed(1) }));

function failuresView(f: AnyFunnel): HTMLElement {
  if (!f.failures.length) return h("p", { class: "muted failures-none" }, `${t("rp.failures")}: ${t("rp.failuresNone")}`);
  const label = (x: Schemas["ClientFailures"]) => `${x.browser} · ${t(`rp.dev.${x.device}`)}`;
  return figure(
    "funnel-failures",
    t("rp.failures"),
    (id) => barChart({ title: t("rp.chartOf", { title: t("rp.failures") }), describedBy: id, labels: f.failures.map(label), series: [{ label: t("rp.rate"), values: f.failures.map((x) => x.failure_rate), color: COLORS.danger }], horizontal: true, percent: true }),
    [t("rp.browser"), t("rp.attempts"), t("rp.failed"), t("rp.rate"), t("rp.codes")],
    f.failures.map((x) => [label(x), x.attempts, x.failed, percent(x.failure_rate), Object.entries(x.codes).map(([code, n]) => `${code}: ${n}`).join(", ") || "—"]),
  );
}

// The funnel as a chart with its numbers, the other outcomes, completions per day, where
// candidates stop (one interview) and the technical failure rates per browser and device.
function funnelView(f: AnyFunnel): HTMLElement {
  const steps: [string, number][] = [
    [t("rp.f.invited"), f.invited],
    [t("rp.f.opened"), f.opened],
    [t("rp.f.consented"), f.consented],
    [t("rp.f.devices"), f.devices_checked],
    [t("rp.f.started"), f.started],
    [t("rp.f.completed"), f.completed],
  ];
  const days = f.completed_by_day;
  return h(
    "div",
    { class: "funnel" },
    figure(
      "funnel-steps",
      t("rp.funnel"),
      (id) => barChart({ title: t("rp.chartOf", { title: t("rp.funnel") }), describedBy: id, labels: steps.map(([l]) => l), series: [{ label: t("rp.count"), values: steps.map(([, n]) => n), color: COLORS.primary }], horizontal: true }),
      [],
      steps.map(([label, n]) => [label, n, f.invited ? percent(n / f.invited) : "—"]),
    ),
    h(
      "table",
      { class: "funnel-others" },
      h("caption", {}, t("rp.f.outcomes")),
      h(
        "tbody",
        {},
        ...(
          [
            [t("rp.f.expired"), f.expired],
            [t("rp.f.revoked"), f.revoked],
            [t("rp.f.declined"), f.declined_ai],
            [t("rp.f.median"), minutes(f.median_seconds_to_complete)],
          ] as [string, string | number][]
        ).map(([label, v]) => h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "num" }, String(v)))),
      ),
    ),
    "questions" in f && f.questions.length
      ? figure(
          "funnel-questions",
          t("rp.dropOff"),
          (id) =>
            barChart({
              title: t("rp.chartOf", { title: t("rp.dropOff") }),
              describedBy: id,
              labels: f.questions.map((q) => `${t("rp.question")} ${q.position + 1}`),
              series: [
                { label: t("rp.answered"), values: f.questions.map((q) => q.answered), color: COLORS.primary },
                { label: t("rp.stopped"), values: f.questions.map((q) => q.stopped), color: COLORS.warn },
              ],
            }),
          [t("rp.question"), t("rp.answered"), t("rp.stopped")],
          f.questions.map((q) => [`${q.position + 1}. ${q.prompt}`, q.answered, q.stopped]),
        )
      : null,
    days.length
      ? figure(
          "funnel-days",
          t("rp.byDay"),
          (id) => barChart({ title: t("rp.chartOf", { title: t("rp.byDay") }), describedBy: id, labels: days.map((d) => formatDay(d.day)), series: [{ label: t("rp.f.completed"), values: days.map((d) => d.completed), color: COLORS.ok }] }),
          [t("rp.day"), t("rp.f.completed")],
          days.map((d) => [formatDay(d.day), d.completed]),
        )
      : null,
    failuresView(f),
  );
}

/** Date inputs for [since, until) of the invitation date, as the API's query. */
function dateRange(onChange: () => void): { el: HTMLElement; query: () => { since?: string; until?: string } } {
  const since = h("input", { type: "date", name: "since" });
  const until = h("input", { type: "date", name: "until" });
  since.addEventListener("change", onChange);
  until.addEventListener("change", onChange);
  const query = () => {
    const q: { since?: string; until?: string } = {};
    if (since.value) q.since = new Date(`${since.value}T00:00:00`).toISOString();
    if (until.value) q.until = new Date(new Date(`${until.value}T00:00:00`).getTime() + 86400000).toISOString();
    return q;
  };
  return { el: h("div", { class: "row" }, h("label", {}, `${t("rp.since")} `, since), " ", h("label", {}, `${t("rp.until")} `, until)), query };
}

/** The organization's analytics: every interview's candidates together, by invitation date. */
export async function analytics(): Promise<HTMLElement> {
  const msg = status();
  const body = h("div");
  const range = dateRange(() => void load());
  async function load(): Promise<void> {
    const r = await api.GET("/api/v1/funnel", { params: { query: range.query() } });
    if (!r.data) return showError(msg, r.error);
    const f = r.data;
    body.replaceChildren(
      funnelView(f),
      h(
        "table",
        { class: "funnel-interviews" },
        h("caption", {}, t("an.interviews")),
        h("thead", {}, h("tr", {}, ...[t("an.interview"), t("rp.f.invited"), t("rp.f.started"), t("rp.f.completed")].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, ...f.interviews.map((i) => h("tr", {}, h("th", { scope: "row" }, h("a", { href: `/interviews/${i.interview_id}` }, i.title)), ...[i.invited, i.started, i.completed].map((n) => h("td", { class: "num" }, String(n)))))),
      ),
    );
  }
  await load();
  return page(t("an.title"), t("an.lead"), range.el, msg, body);
}

/** The interview page's reports: compare, export, and the funnel (filterable by invitation date). */
export async function reportsSection(interviewId: string): Promise<HTMLElement> {
  const msg = status();
  const body = h("div");
  const range = dateRange(() => void load());
  async function load(): Promise<void> {
    const r = await api.GET("/api/v1/interviews/{interview_id}/funnel", { params: { path: { interview_id: interviewId }, query: range.query() } });
    if (r.data) body.replaceChildren(funnelView(r.data));
    else showError(msg, r.error);
  }
  const [, people] = await Promise.all([load(), api.GET("/api/v1/interviews/{interview_id}/comparison", { params: { path: { interview_id: interviewId }, query: { sort: "name" } } })]);
  return h(
    "section",
    { class: "reports", "aria-labelledby": "reports-h" },
    h("h2", { id: "reports-h" }, t("rp.reports")),
    h(
      "p",
      {},
      h("a", { href: `/interviews/${interviewId}/compare` }, t("rp.title")),
      " · ",
      h("a", { href: `/api/v1/interviews/${interviewId}/candidates.csv`, download: "" }, t("rp.csv")),
    ),
    range.el,
    msg,
    body,
    await sharesSection(interviewId, people.data?.candidates ?? []),
  );
}
