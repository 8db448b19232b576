// Reporting: candidates side by side (question by question, criterion by criterion), the
// team's shortlist, the CSV export, and the interview's funnel with where candidates stop.
import { api, type Schemas } from "../api/client";
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

// The funnel as bars with their numbers, and per question how many answered and stopped there.
function funnelView(f: Schemas["Funnel"]): HTMLElement {
  const steps: [string, number][] = [
    [t("rp.f.invited"), f.invited],
    [t("rp.f.opened"), f.opened],
    [t("rp.f.consented"), f.consented],
    [t("rp.f.started"), f.started],
    [t("rp.f.completed"), f.completed],
  ];
  const bar = (label: string, n: number, of: number) =>
    h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "num" }, String(n)), h("td", { class: "bar-cell" }, h("span", { class: "bar", style: `width:${of ? Math.round((100 * n) / of) : 0}%` })));
  return h(
    "div",
    { class: "funnel" },
    h("table", { class: "funnel-steps" }, h("caption", {}, t("rp.funnel")), h("tbody", {}, ...steps.map(([label, n]) => bar(label, n, f.invited)))),
    h("p", { class: "muted" }, t("rp.f.others", { expired: f.expired, revoked: f.revoked, declined: f.declined_ai, median: f.median_seconds_to_complete === null ? "—" : (f.median_seconds_to_complete / 60).toFixed(1) })),
    h(
      "table",
      { class: "funnel-questions" },
      h("caption", {}, t("rp.dropOff")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("rp.question")), h("th", { scope: "col" }, t("rp.answered")), h("th", { scope: "col" }, t("rp.stopped")))),
      h("tbody", {}, ...f.questions.map((q) => h("tr", {}, h("th", { scope: "row" }, `${q.position + 1}. ${q.prompt}`), h("td", { class: "num" }, String(q.answered)), h("td", { class: "num" }, String(q.stopped))))),
    ),
    f.completed_by_day.length
      ? h(
          "table",
          { class: "funnel-days" },
          h("caption", {}, t("rp.byDay")),
          h("tbody", {}, ...f.completed_by_day.map((d) => bar(formatDay(d.day), d.completed, Math.max(...f.completed_by_day.map((x) => x.completed))))),
        )
      : null,
  );
}

/** The interview page's reports: compare, export, and the funnel (filterable by invitation date). */
export async function reportsSection(interviewId: string): Promise<HTMLElement> {
  const msg = status();
  const body = h("div");
  const since = h("input", { type: "date", name: "since" });
  const until = h("input", { type: "date", name: "until" });
  const load = async () => {
    const query: { since?: string; until?: string } = {};
    if (since.value) query.since = new Date(`${since.value}T00:00:00`).toISOString();
    if (until.value) query.until = new Date(new Date(`${until.value}T00:00:00`).getTime() + 86400000).toISOString();
    const r = await api.GET("/api/v1/interviews/{interview_id}/funnel", { params: { path: { interview_id: interviewId }, query } });
    if (r.data) body.replaceChildren(funnelView(r.data));
    else showError(msg, r.error);
  };
  since.addEventListener("change", () => void load());
  until.addEventListener("change", () => void load());
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
    h("div", { class: "row" }, h("label", {}, `${t("rp.since")} `, since), " ", h("label", {}, `${t("rp.until")} `, until)),
    msg,
    body,
    await sharesSection(interviewId, people.data?.candidates ?? []),
  );
}
