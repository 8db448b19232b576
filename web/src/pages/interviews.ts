// Recruiters' interviews: the list, the builder (details, questions with rubrics, status,
// public link) and the candidates (invite, CSV import, accommodations, resend, revoke).
import { api, type Schemas } from "../api/client";
import { apiQuery, type CandidateQuery, debounce, DECISIONS, EMPTY, isFiltered, readQuery, type Sort, STATUSES, writeQuery } from "../candidateQuery";
import { field, formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { navigate, onNavigate } from "../router";
import { button, input, page, showError, showOk, status, submitWith } from "../ui";
import { reportsSection } from "./reporting";

type Interview = Schemas["InterviewOut"];
type QuestionIn = Schemas["QuestionIn"];
type Kind = NonNullable<QuestionIn["kind"]>;

const statusTag = (s: Interview["status"]) => h("span", { class: `tag status-${s}` }, t(`iv.status.${s}`));

export async function interviewList(): Promise<HTMLElement> {
  const msg = status();
  const [list, templates] = await Promise.all([
    api.GET("/api/v1/interviews", { params: { query: { limit: 50 } } }),
    api.GET("/api/v1/interview-templates"),
  ]);
  if (list.error) showError(msg, list.error);
  const items = list.data?.items ?? [];
  const select = h(
    "select",
    { name: "template" },
    h("option", { value: "" }, t("iv.blank")),
    ...(templates.data ?? []).map((tpl) => h("option", { value: tpl.key }, tpl.title)),
  );
  const form = h(
    "form",
    { class: "inline" },
    h("fieldset", {}, h("legend", {}, t("iv.new")), field(t("iv.name"), input("title", "text", { maxlength: 200 })), field(t("iv.template"), select), h("button", { type: "submit", class: "primary" }, t("iv.create"))),
  );
  submitWith(
    form,
    msg,
    (v) => api.POST("/api/v1/interviews", { body: { title: v.title!, template: v.template || null } }),
    (made) => navigate(`/interviews/${made!.id}`),
  );
  const row = (i: (typeof items)[number]) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `/interviews/${i.id}` }, i.title)),
      h("td", {}, statusTag(i.status)),
      h("td", {}, String(i.questions)),
      h("td", {}, `${Object.values(i.candidates).reduce((a, b) => a + b, 0)} · ${i.candidates.completed} ${t("iv.completed")}`),
      h("td", {}, formatDate(i.created_at, locale())),
    );
  const tbody = h("tbody", {}, ...items.map(row));
  // Further pages follow the API's cursor.
  let cursor = list.data?.next_cursor ?? null;
  const more = button(t("list.more"), {
    class: "show-more",
    hidden: cursor === null,
    onclick: async () => {
      more.disabled = true;
      const r = await api.GET("/api/v1/interviews", { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } });
      more.disabled = false;
      if (r.error) return showError(msg, r.error);
      tbody.append(...r.data!.items.map(row));
      cursor = r.data!.next_cursor;
      more.hidden = cursor === null;
    },
  });
  return page(
    t("iv.title"),
    t("iv.lead"),
    form,
    msg,
    items.length
      ? h("table", {}, h("thead", {}, h("tr", {}, ...[t("iv.name"), "", t("iv.questions"), t("iv.candidates"), t("keys.createdAt")].map((c) => h("th", { scope: "col" }, c)))), tbody)
      : h("p", { class: "muted" }, t("iv.none")),
    more,
  );
}

function rubricText(q: QuestionIn): string {
  return (q.rubric ?? []).map((c) => [c.name, c.weight ?? 1, c.strong_answer ?? ""].join(" | ")).join("\n");
}

export function parseRubric(text: string): NonNullable<QuestionIn["rubric"]> {
  return text
    .split("\n")
    .map((line) => line.split("|").map((p) => p.trim()))
    .filter((parts) => parts[0])
    .map(([name, weight, strong]) => ({
      name: name!,
      weight: Math.min(5, Math.max(1, Number.parseInt(weight ?? "1", 10) || 1)),
      strong_answer: strong ?? "",
    }));
}

function questionEditor(q: QuestionIn, index: number, total: number, onMove: (d: number) => void, onRemove: () => void, locked: boolean): HTMLElement {
  const num = (name: string, value: number, min: number, max: number) => input(name, "number", { value, min, max, disabled: locked });
  const kind = h("select", { name: "kind", disabled: locked }, ...(["video", "audio", "text"] as Kind[]).map((k) => h("option", { value: k, selected: q.kind === k }, t(`c.kind.${k}`))));
  return h(
    "fieldset",
    { class: "question", "data-index": String(index), disabled: locked },
    h("legend", {}, t("c.question", { n: index + 1, total })),
    field(t("iv.prompt"), h("input", { name: "prompt", type: "text", value: q.prompt, required: true, maxlength: "2000", class: "wide" })),
    h("div", { class: "row" }, field(t("iv.kind"), kind), field(t("iv.think"), num("think_seconds", q.think_seconds ?? 30, 0, 600)), field(t("iv.answer"), num("answer_seconds", q.answer_seconds ?? 120, 10, 1800)), field(t("iv.retakes"), num("retakes", q.retakes ?? 1, 0, 3))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "required", checked: q.required ?? true }), t("iv.required")),
    h("div", { class: "field" }, h("label", {}, t("iv.rubric"), h("textarea", { name: "rubric", rows: "3" }, rubricText(q)))),
    locked
      ? null
      : h(
          "div",
          { class: "row-actions" },
          index > 0 ? button(t("iv.up"), { class: "link", onclick: () => onMove(-1) }) : null,
          index < total - 1 ? button(t("iv.down"), { class: "link", onclick: () => onMove(1) }) : null,
          button(t("iv.remove"), { class: "link danger", onclick: onRemove }),
        ),
  );
}

function readQuestion(fs: HTMLElement): QuestionIn {
  const get = (name: string) => fs.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(`[name=${name}]`)!;
  return {
    prompt: get("prompt").value.trim(),
    kind: get("kind").value as Kind,
    think_seconds: Number(get("think_seconds").value),
    answer_seconds: Number(get("answer_seconds").value),
    retakes: Number(get("retakes").value),
    required: (get("required") as HTMLInputElement).checked,
    rubric: parseRubric(get("rubric").value),
  };
}

export async function interviewDetail(query: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const id = params.id!;
  const msg = status();
  const { data, error } = await api.GET("/api/v1/interviews/{interview_id}", { params: { path: { interview_id: id } } });
  if (!data) {
    showError(msg, error);
    return page(t("iv.title"), null, msg);
  }
  let interview: Interview = data;
  const path = { params: { path: { interview_id: id } } };
  const reload = () => navigate(`/interviews/${id}`, true);

  // Following: who hears about this interview's candidates (bell and team emails).
  function followButton(): HTMLElement {
    const label = () => t(interview.following ? "iv.following" : "iv.follow");
    const el: HTMLButtonElement = button(label(), {
      "aria-pressed": String(interview.following),
      title: t("iv.followHint"),
      onclick: async () => {
        const r = await api.PUT("/api/v1/interviews/{interview_id}/following", { ...path, body: { following: !interview.following } });
        if (r.error) return showError(msg, r.error);
        interview = { ...interview, following: r.data!.following };
        el.textContent = label();
        el.setAttribute("aria-pressed", String(interview.following));
        showOk(msg, t(interview.following ? "iv.followOn" : "iv.followOff"));
      },
    });
    return el;
  }

  // Status and actions
  const transitions: Record<Interview["status"], [Interview["status"], string][]> = {
    draft: [["active", t("iv.activate")], ["archived", t("iv.archive")]],
    active: [["closed", t("iv.close")]],
    closed: [["active", t("iv.reopen")], ["archived", t("iv.archive")]],
    archived: [],
  };
  const actions = h(
    "div",
    { class: "actions" },
    statusTag(interview.status),
    ...transitions[interview.status].map(([to, label]) =>
      button(label, {
        class: to === "active" ? "primary" : "",
        onclick: async () => {
          const r = await api.POST("/api/v1/interviews/{interview_id}/status", { ...path, body: { status: to } });
          if (r.error) showError(msg, r.error);
          else reload();
        },
      }),
    ),
    followButton(),
    button(t("iv.duplicate"), {
      onclick: async () => {
        const r = await api.POST("/api/v1/interviews/{interview_id}/duplicate", path);
        if (r.data) navigate(`/interviews/${r.data.id}`);
        else showError(msg, r.error);
      },
    }),
  );

  // Details
  const lang = h("select", { name: "language" }, h("option", { value: "en", selected: interview.language === "en" }, "English"), h("option", { value: "ru", selected: interview.language === "ru" }, "Русский"));
  const details = h(
    "form",
    {},
    h(
      "fieldset",
      {},
      h("legend", {}, t("iv.details")),
      field(t("iv.name"), input("title", "text", { value: interview.title, maxlength: 200 })),
      h("div", { class: "field" }, h("label", {}, t("iv.roleDescription"), h("textarea", { name: "role_description", rows: "3" }, interview.role_description))),
      h("div", { class: "field" }, h("label", {}, t("iv.introText"), h("textarea", { name: "intro", rows: "3" }, interview.intro))),
      field(t("iv.language"), lang),
      field(t("iv.brandName"), input("brand_name", "text", { value: interview.brand_name ?? "", maxlength: 200, required: false })),
      field(t("iv.brandLogo"), input("brand_logo_url", "url", { value: interview.brand_logo_url ?? "", pattern: "https://.*", required: false })),
      field(t("iv.reminderHours"), input("reminder_hours", "number", { value: String(interview.reminder_hours), min: 0, max: 336 })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "review_first", checked: interview.review_first }), t("iv.reviewFirst")),
      h("p", { class: "muted" }, t("iv.reviewFirstHelp")),
      h("button", { type: "submit" }, t("iv.saveDetails")),
    ),
  );
  submitWith(
    details,
    msg,
    (v) => api.PATCH("/api/v1/interviews/{interview_id}", { ...path, body: {
          title: v.title!,
          role_description: v.role_description ?? "",
          intro: v.intro ?? "",
          language: v.language as "en" | "ru",
          brand_name: v.brand_name || null,
          brand_logo_url: v.brand_logo_url || null,
          reminder_hours: Number(v.reminder_hours),
          review_first: v.review_first === "on",
        },
      }),
    (updated) => ((interview = updated!), showOk(msg, t("saved"))),
  );

  // Questions
  let questions: QuestionIn[] = interview.questions.map((q) => ({ ...q }));
  const list = h("div", { class: "questions" });
  const collect = () => (questions = [...list.querySelectorAll<HTMLElement>("fieldset.question")].map(readQuestion));
  const drawQuestions = () =>
    list.replaceChildren(
      ...questions.map((q, i) =>
        questionEditor(
          q,
          i,
          questions.length,
          (d) => {
            collect();
            const [moved] = questions.splice(i, 1);
            questions.splice(i + d, 0, moved!);
            drawQuestions();
          },
          () => {
            collect();
            questions.splice(i, 1);
            drawQuestions();
          },
          interview.locked,
        ),
      ),
    );
  drawQuestions();
  const questionForm = h(
    "form",
    {},
    list,
    interview.locked
      ? h("p", { class: "muted" }, t("iv.locked"))
      : h(
          "div",
          { class: "actions" },
          button(t("iv.addQuestion"), { onclick: () => (collect(), questions.push({ prompt: "", kind: "video" }), drawQuestions()) }),
          h("button", { type: "submit", class: "primary" }, t("iv.saveQuestions")),
        ),
  );
  questionForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    collect();
    const r = await api.PUT("/api/v1/interviews/{interview_id}/questions", { ...path, body: questions });
    if (r.error) showError(msg, r.error);
    else {
      interview = r.data!;
      showOk(msg, t("saved"));
    }
  });

  // Public link
  const linkOut = h("p", {}, interview.public_link ? t("iv.linkOn") : "");
  const publicLink = h(
    "section",
    { class: "card" },
    h("h2", {}, t("iv.publicLink")),
    h("p", { class: "muted" }, t("iv.publicLinkLead")),
    linkOut,
    h(
      "div",
      { class: "actions" },
      button(interview.public_link ? t("iv.newLink") : t("iv.makeLink"), {
        onclick: async () => {
          const r = await api.POST("/api/v1/interviews/{interview_id}/public-link", path);
          if (r.error) return showError(msg, r.error);
          linkOut.replaceChildren(h("code", { class: "secret", "data-testid": "public-link" }, r.data!.url));
        },
      }),
      interview.public_link
        ? button(t("iv.disableLink"), {
            class: "danger",
            onclick: async () => {
              await api.DELETE("/api/v1/interviews/{interview_id}/public-link", path);
              reload();
            },
          })
        : null,
    ),
  );

  const [candidates, reports] = await Promise.all([candidatesSection(interview, msg, query), reportsSection(interview.id)]);
  return page(interview.title, null, actions, msg, liveSection(interview), candidates, reports, h("h2", {}, t("iv.questions")), questionForm, publicLink, details);
}

// Whether the invitation (or reminder) email went out; an SMTP refusal shows its reason.
function emailState(c: Schemas["CandidateOut"]): HTMLElement | null {
  const e = c.invitation_email;
  if (!e) return null;
  const error = e.last_error ?? "";
  if (e.status === "failed") return h("small", { class: "email-state error", role: "note" }, t("iv.emailFailed", { error }));
  if (e.status === "pending" && e.attempts > 0) return h("small", { class: "email-state warn" }, t("iv.emailRetrying", { error }));
  return h("small", { class: "email-state muted" }, t(e.status === "sent" ? "iv.emailSent" : "iv.emailQueued"));
}

type Candidate = Schemas["CandidateOut"];
type BulkAction = Schemas["BulkAction"];
const BULK_MAX = 200; // the bulk endpoint's limit per call

/** The interview's candidates: searched, filtered and sorted on the server (the state lives in
 * the URL query), paged by cursor ("Show more"), refreshed in place, with bulk actions. */
async function candidatesSection(interview: Interview, msg: HTMLElement, query: URLSearchParams): Promise<HTMLElement> {
  const path = { params: { path: { interview_id: interview.id } } };
  let state: CandidateQuery = readQuery(query);
  const tbody = h("tbody");
  const empty = h("tr", {}, h("td", { colspan: "8", class: "muted" }));
  // Rows by candidate id, each cell with the data it shows: a refresh replaces only the cells
  // whose data changed, so an open select, focus and a screen reader's place survive it.
  const shown = new Map<string, { tr: HTMLTableRowElement; keys: string[]; name: string }>();
  const selected = new Set<string>();
  let cursor: string | null = null;
  // Each new search or filter starts a generation; answers to an older one are dropped, so a
  // slow reply to "ad" cannot overwrite the list for "ada".
  let generation = 0;
  const more = button(t("list.more"), { hidden: true, class: "show-more", onclick: () => loadMore() });

  async function fetchPage(after: string | null, limit: number) {
    const r = await api.GET("/api/v1/interviews/{interview_id}/candidates", { params: { path: { interview_id: interview.id }, query: apiQuery(state, limit, after) } });
    if (r.error) showError(msg, r.error);
    return r.data;
  }
  /** Show `items` in order after `prev` (null: at the top), moving only rows out of place and
   * replacing only cells whose data changed. Returns the last row placed. */
  function place(items: Candidate[], prev: HTMLTableRowElement | null): HTMLTableRowElement | null {
    empty.remove();
    for (const c of items) {
      const cells = cellsOf(c);
      const keys = cells.map((cell) => cell.dataset.key!);
      let known = shown.get(c.id);
      if (!known) {
        known = { tr: h("tr", { "data-candidate": c.email, "data-id": c.id }, ...cells), keys, name: c.name };
        shown.set(c.id, known);
      } else {
        keys.forEach((key, i) => {
          if (known!.keys[i] !== key) known!.tr.children[i]!.replaceWith(cells[i]!);
        });
        known.keys = keys;
        known.name = c.name;
      }
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (known.tr !== want) tbody.insertBefore(known.tr, want);
      prev = known.tr;
    }
    showEmpty();
    return prev;
  }
  function showEmpty(): void {
    if (shown.size) return;
    empty.firstElementChild!.textContent = isFiltered(state) ? t("cl.noMatch") : t("iv.noCandidates");
    tbody.append(empty);
  }
  function drop(id: string): void {
    shown.get(id)?.tr.remove();
    shown.delete(id);
    selected.delete(id);
  }
  async function loadMore(): Promise<void> {
    const mine = generation;
    more.disabled = true;
    const data = await fetchPage(cursor, 50);
    more.disabled = false;
    if (!data || mine !== generation) return;
    place(data.items, tbody.lastElementChild === empty ? null : (tbody.lastElementChild as HTMLTableRowElement | null));
    cursor = data.next_cursor;
    more.hidden = cursor === null;
    updateBar();
  }
  /** Refresh the rows shown (and show new ones in their place), walking the pages from the start
   * to the last row shown; rows that left the list (or no longer match) go. */
  async function load(): Promise<void> {
    const mine = generation;
    const last = [...shown.keys()].pop();
    const limit = Math.min(200, Math.max(50, shown.size + 1));
    const seen = new Set<string>();
    let after: string | null = null;
    let prev: HTMLTableRowElement | null = null;
    do {
      const data = await fetchPage(after, limit);
      if (!data || mine !== generation) return;
      prev = place(data.items, prev);
      data.items.forEach((c) => seen.add(c.id));
      after = data.next_cursor;
    } while (after !== null && (last === undefined ? seen.size === 0 : !seen.has(last)) && seen.size < shown.size + 200);
    for (const id of [...shown.keys()]) if (!seen.has(id)) drop(id);
    showEmpty();
    cursor = after;
    more.hidden = cursor === null;
    updateBar();
  }
  /** Start the list again for a new search, filter or order. */
  async function restart(): Promise<void> {
    generation += 1;
    for (const id of [...shown.keys()]) drop(id);
    cursor = null;
    more.hidden = true;
    tbody.setAttribute("aria-busy", "true");
    await load();
    tbody.removeAttribute("aria-busy");
  }

  // Search, filters and order: each change is written to the URL (replacing the entry, so "back"
  // leaves the page rather than undoing a filter) and asks the server again.
  function apply(change: Partial<CandidateQuery>): void {
    state = { ...state, ...change };
    if (tbody.isConnected) {
      const search = writeQuery(state, new URLSearchParams(location.search)).toString();
      history.replaceState(history.state, "", `${location.pathname}${search ? `?${search}` : ""}${location.hash}`);
    }
    selected.clear();
    drawSort();
    void restart();
  }
  const search = h("input", { type: "search", name: "q", value: state.q, maxlength: "200", autocomplete: "off", placeholder: t("cl.search") });
  search.addEventListener("input", debounce(() => apply({ q: search.value }), 300));
  const choose = <T extends string>(name: string, values: readonly T[], value: T | null, label: (v: T) => string, set: (v: T | null) => void) => {
    const el = h("select", { name }, h("option", { value: "" }, t("cl.any")), ...values.map((v) => h("option", { value: v, selected: v === value }, label(v))));
    el.addEventListener("change", () => set((el.value || null) as T | null));
    return el;
  };
  const statusFilter = choose("status", STATUSES, state.status, (s) => t(`cs.${s}`), (status) => apply({ status }));
  const decisionFilter = choose("decision", DECISIONS, state.decision, (d) => (d === "none" ? t("cl.undecided") : t(`rv.d.${d}`)), (decision) => apply({ decision }));
  const scoreInput = (name: string, value: number | null, set: (v: number | null) => void) => {
    const el = h("input", { type: "number", name, min: "1", max: "5", step: "0.5", value: value ?? "", class: "narrow" });
    el.addEventListener(
      "input",
      debounce(() => {
        const v = el.value === "" ? null : Number(el.value);
        if (v !== null && (!Number.isFinite(v) || v < 1 || v > 5)) return; // not yet a score
        set(v);
      }, 300),
    );
    return el;
  };
  const scoreMin = scoreInput("score_min", state.scoreMin, (scoreMin) => apply({ scoreMin }));
  const scoreMax = scoreInput("score_max", state.scoreMax, (scoreMax) => apply({ scoreMax }));
  const clear = button(t("cl.clear"), {
    class: "link",
    onclick: () => {
      search.value = "";
      statusFilter.value = decisionFilter.value = scoreMin.value = scoreMax.value = "";
      apply({ ...EMPTY, sort: state.sort });
    },
  });
  const filters = h(
    "div",
    { class: "row filters", role: "search" },
    field(t("cl.search"), search),
    field(t("cl.status"), statusFilter),
    field(t("cl.decision"), decisionFilter),
    field(t("cl.scoreMin"), scoreMin),
    field(t("cl.scoreMax"), scoreMax),
    clear,
  );

  // Sortable columns: a button in the header; aria-sort says which order is on.
  const sortHeads: [Sort, HTMLTableCellElement][] = [];
  const head = (label: string, sort?: Sort) => {
    if (!sort) return h("th", { scope: "col" }, label);
    const th = h("th", { scope: "col" }, button(label, { class: "link sort", onclick: () => apply({ sort }) }));
    sortHeads.push([sort, th]);
    return th;
  };
  function drawSort(): void {
    for (const [sort, th] of sortHeads) {
      if (sort === state.sort) th.setAttribute("aria-sort", sort === "name" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  // Selection and bulk actions: each candidate succeeds or fails alone (the API says which).
  const selectAll = h("input", { type: "checkbox", "aria-label": t("cl.selectAll") });
  selectAll.addEventListener("change", () => {
    for (const [id, row] of shown) {
      if (selectAll.checked) selected.add(id);
      else selected.delete(id);
      row.tr.querySelector<HTMLInputElement>("input.pick")!.checked = selectAll.checked;
    }
    updateBar();
  });
  const count = h("span", { class: "muted", "aria-live": "polite" });
  const failures = h("ul", { class: "plain bulk-failures" });
  const bulkButton = (label: string, body: Omit<BulkAction, "candidate_ids">, danger = false) =>
    button(label, { class: danger ? "danger" : "", disabled: true, onclick: () => bulk(body) });
  const bulkButtons = [
    bulkButton(t("cl.resend"), { action: "resend" }),
    bulkButton(t("cl.revoke"), { action: "revoke" }, true),
    ...(["advance", "hold", "reject"] as const).map((d) => bulkButton(t(`rv.d.${d}`), { action: "decide", decision: d })),
  ];
  const bar = h("div", { class: "actions bulk", role: "group", "aria-label": t("cl.bulk") }, count, ...bulkButtons);
  function updateBar(): void {
    for (const id of [...selected]) if (!shown.has(id)) selected.delete(id);
    count.textContent = t("cl.selected", { n: selected.size });
    bulkButtons.forEach((b) => (b.disabled = selected.size === 0));
    const picked = [...shown.keys()].filter((id) => selected.has(id)).length;
    selectAll.checked = picked > 0 && picked === shown.size;
    selectAll.indeterminate = picked > 0 && picked < shown.size;
  }
  async function bulk(body: Omit<BulkAction, "candidate_ids">): Promise<void> {
    const ids = [...selected];
    if (!ids.length) return;
    if (body.action === "revoke" && !confirm(t("cl.confirmRevoke", { n: ids.length }))) return;
    bulkButtons.forEach((b) => (b.disabled = true));
    const done: string[] = [];
    const failed: Schemas["BulkFailure"][] = [];
    for (let i = 0; i < ids.length; i += BULK_MAX) {
      const r = await api.POST("/api/v1/interviews/{interview_id}/candidates/bulk", { ...path, body: { ...body, candidate_ids: ids.slice(i, i + BULK_MAX) } });
      if (r.error) {
        showError(msg, r.error);
        updateBar();
        return;
      }
      done.push(...r.data!.done);
      failed.push(...r.data!.failed);
    }
    // Those done are unselected; those that failed stay selected, each with its reason.
    for (const id of done) {
      selected.delete(id);
      const pick = shown.get(id)?.tr.querySelector<HTMLInputElement>("input.pick");
      if (pick) pick.checked = false;
    }
    showOk(msg, t("cl.bulkDone", { done: done.length, failed: failed.length }));
    failures.replaceChildren(...failed.map((f) => h("li", { class: "error", "data-id": f.candidate_id }, `${shown.get(f.candidate_id)?.name ?? f.candidate_id}: ${f.detail}`)));
    await load();
  }

  /** A candidate's cells, each keyed by the data it shows. */
  function cellsOf(c: Candidate): HTMLTableCellElement[] {
    const cpath = { params: { path: { candidate_id: c.id } } };
    const factor = h("select", { "aria-label": `${t("iv.extraTime")}: ${c.name}` }, ...[1, 1.25, 1.5, 2].map((f) => h("option", { value: String(f), selected: c.extra_time_factor === f }, `×${f}`)));
    factor.addEventListener("change", async () => {
      const r = await api.PATCH("/api/v1/candidates/{candidate_id}", { ...cpath, body: { extra_time_factor: Number(factor.value) } });
      if (r.error) showError(msg, r.error);
      else showOk(msg, t("saved"));
    });
    const retakes = h("select", { "aria-label": `${t("iv.extraRetakes")}: ${c.name}` }, ...[0, 1, 2, 3].map((n) => h("option", { value: String(n), selected: c.extra_retakes === n }, `+${n}`)));
    retakes.addEventListener("change", async () => {
      const r = await api.PATCH("/api/v1/candidates/{candidate_id}", { ...cpath, body: { extra_retakes: Number(retakes.value) } });
      if (r.error) showError(msg, r.error);
      else showOk(msg, t("saved"));
    });
    const pick = h("input", { type: "checkbox", class: "pick", checked: selected.has(c.id), "aria-label": t("cl.select", { name: c.name }) });
    pick.addEventListener("change", () => {
      if (pick.checked) selected.add(c.id);
      else selected.delete(c.id);
      updateBar();
    });
    const closed = c.status === "completed" || c.status === "revoked";
    const e = c.invitation_email;
    const cell = (key: unknown[], ...content: (Node | string | null)[]) => h("td", { "data-key": JSON.stringify(key) }, ...content);
    return [
      cell(["pick"], pick),
      cell([c.name, c.email, e?.status, e?.attempts, e?.last_error], h("a", { href: `/candidates/${c.id}` }, h("strong", {}, c.name)), h("br"), h("span", { class: "muted" }, c.email), emailState(c)),
      cell(
        [c.status, c.answered, c.decision],
        h("span", { class: `tag cs-${c.status}` }, t(`cs.${c.status}`)),
        c.decision ? h("span", { class: `tag decision decision-${c.decision}` }, t(`rv.d.${c.decision}`)) : null,
        h("br"),
        h("span", { class: "muted" }, t("iv.answered", { n: c.answered })),
      ),
      // Only an LLM's score: the local rubric coverage has none, so it is never shown or ranked.
      cell([c.score], h("span", { class: "score" }, c.score === null || c.score === undefined ? t("cl.noScore") : `${c.score.toFixed(1)} / 5`)),
      cell([c.completed_at], formatDate(c.completed_at, locale())),
      cell([c.created_at], formatDate(c.created_at, locale())),
      cell([closed, c.extra_time_factor, c.extra_retakes], closed ? `×${c.extra_time_factor} · +${c.extra_retakes}` : h("span", { class: "row" }, factor, retakes)),
      cell(
        [closed],
        closed
          ? null
          : h(
              "span",
              { class: "row-actions" },
              button(t("iv.resend"), {
                class: "link",
                onclick: async () => {
                  const r = await api.POST("/api/v1/candidates/{candidate_id}/resend", cpath);
                  if (r.error) showError(msg, r.error);
                  else {
                    showOk(msg, t("iv.invited", { link: r.data!.link }));
                    await load();
                  }
                },
              }),
              button(t("iv.revoke"), {
                class: "link danger",
                onclick: async () => {
                  if (!confirm(t("iv.confirmRevoke", { name: c.name }))) return;
                  const r = await api.POST("/api/v1/candidates/{candidate_id}/revoke", cpath);
                  if (r.error) showError(msg, r.error);
                  else await load();
                },
              }),
            ),
      ),
    ];
  }
  const invite = h(
    "form",
    { class: "inline" },
    h(
      "fieldset",
      { disabled: interview.status !== "active" },
      h("legend", {}, t("iv.invite")),
      field(t("iv.candidateName"), input("name", "text", { maxlength: 200, autocomplete: "off" })),
      field(t("email"), input("email", "email", { autocomplete: "off" })),
      field(t("iv.deadline"), h("input", { name: "deadline", type: "datetime-local" })),
      h("button", { type: "submit", class: "primary" }, t("iv.sendInvite")),
    ),
  );
  submitWith(
    invite,
    msg,
    (v) =>
      api.POST("/api/v1/interviews/{interview_id}/candidates", {
        ...path,
        body: { name: v.name!, email: v.email!, deadline: v.deadline ? new Date(v.deadline).toISOString() : null },
      }),
    async (created) => {
      invite.reset();
      showOk(msg, t("iv.invited", { link: created!.link }));
      msg.dataset.link = created!.link;
      await load();
    },
  );

  const report = h("ul", { class: "plain" });
  const csv = h("textarea", { name: "csv", rows: "4", placeholder: "name,email\nAda Lovelace,ada@example.com" });
  const file = h("input", { type: "file", accept: ".csv,text/csv", "aria-label": t("iv.import") });
  file.addEventListener("change", async () => {
    if (file.files?.[0]) csv.value = await file.files[0].text();
  });
  const importForm = h(
    "form",
    {},
    h("fieldset", { disabled: interview.status !== "active" }, h("legend", {}, t("iv.import")), h("p", { class: "muted" }, t("iv.importHint")), file, csv, h("button", { type: "submit" }, t("iv.importSubmit"))),
  );
  submitWith(
    importForm,
    msg,
    (v) => api.POST("/api/v1/interviews/{interview_id}/candidates/import", { ...path, body: { csv: v.csv ?? "" } }),
    async (result) => {
      showOk(msg, t("iv.imported", { created: result!.created, errors: result!.errors.length }));
      report.replaceChildren(...result!.errors.map((e) => h("li", {}, `${t("iv.row", { row: e.row })}${e.email ? ` (${e.email})` : ""}: ${e.error}`)));
      await load();
    },
  );

  drawSort();
  await load();
  // Statuses change while candidates answer: refresh while this page is open and visible.
  const timer = setInterval(() => {
    if (!tbody.isConnected) return clearInterval(timer);
    if (document.visibilityState === "visible") void load();
  }, 10_000);
  return h(
    "section",
    {},
    h("h2", {}, t("iv.candidates")),
    invite,
    filters,
    bar,
    failures,
    h(
      "table",
      { class: "candidates" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, selectAll),
          head(t("iv.candidateName"), "name"),
          head(t("cl.status")),
          head(t("cl.score"), "score"),
          head(t("cl.completed"), "completed"),
          head(t("cl.invited"), "newest"),
          head(`${t("iv.extraTime")} · ${t("iv.extraRetakes")}`),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("actions"))),
        ),
      ),
      tbody,
    ),
    more,
    h("details", {}, h("summary", {}, t("iv.import")), importForm, report),
  );
}

function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Live transcripts of answers being recorded now (server-sent events): each answer appears
 * when its stream starts (candidate, question, elapsed time, whether they are speaking). */
function liveSection(interview: Interview): HTMLElement | null {
  if (interview.status !== "active") return null;
  const list = h("div", { class: "live", "aria-live": "polite" });
  const names = new Map<string, string>();
  let source: EventSource | null = null;
  const rows = new Map<string, HTMLElement>();
  let leave: (() => void) | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  // Watching costs the server partial decodes: stop as soon as the recruiter leaves the view.
  const stop = () => {
    source?.close();
    source = null;
    leave?.();
    leave = null;
    if (ticker) clearInterval(ticker);
    ticker = null;
    window.removeEventListener("pagehide", stop);
    toggle.textContent = t("lv.watch");
    list.replaceChildren();
    rows.clear();
  };
  const toggle = button(t("lv.watch"), {
    onclick: async () => {
      if (source) return stop();
      list.replaceChildren(h("p", { class: "muted waiting" }, t("lv.waiting")));
      source = new EventSource(`/api/v1/interviews/${interview.id}/live`);
      leave = onNavigate(() => {
        if (!list.isConnected) stop();
      });
      window.addEventListener("pagehide", stop);
      // Elapsed time ticks between updates, from the audio time the server last reported.
      ticker = setInterval(() => {
        for (const row of rows.values()) {
          const clock = row.querySelector<HTMLElement>(".live-elapsed");
          const base = Number(row.dataset.elapsed ?? 0), at = Number(row.dataset.at ?? Date.now());
          if (clock && row.dataset.ended !== "1") clock.textContent = formatElapsed(base + (Date.now() - at) / 1000);
        }
      }, 1000);
      toggle.textContent = t("lv.stop");
      // One card per answer: the question, the text (committed, then the partial) and coverage.
      const card = (answerId: string) => {
        let row = rows.get(answerId);
        if (!row) {
          row = h("div", { class: "card live-answer", "data-answer": answerId }, h("p", { class: "muted" }), h("p", { class: "live-text" }), h("div", { class: "live-coverage" }));
          rows.set(answerId, row);
          list.querySelector(".waiting")?.remove();
          list.prepend(row);
        }
        return row;
      };
      source.addEventListener("transcript", (event) => {
        const u = JSON.parse((event as MessageEvent).data) as { answer_id: string; candidate_id: string; question: number; prompt: string; text: string; partial: string; ended: boolean; speaking?: boolean; elapsed_s?: number };
        const row = card(u.answer_id);
        const [head, text] = row.children as unknown as HTMLElement[];
        row.dataset.elapsed = String(u.elapsed_s ?? 0);
        row.dataset.at = String(Date.now());
        row.dataset.ended = u.ended ? "1" : "0";
        // Names of those answering now, asked for once each (not the whole candidate list).
        if (!names.has(u.candidate_id)) {
          names.set(u.candidate_id, "…");
          void api.GET("/api/v1/candidates/{candidate_id}", { params: { path: { candidate_id: u.candidate_id } } }).then((r) => {
            if (r.data) names.set(u.candidate_id, r.data.name);
          });
        }
        head!.replaceChildren(
          h("span", { class: u.speaking && !u.ended ? "speaking on" : "speaking", "aria-label": u.speaking && !u.ended ? t("lv.speaking") : "" }),
          t("lv.question", { name: names.get(u.candidate_id)!, n: u.question + 1 }),
          " · ",
          h("span", { class: "live-elapsed" }, formatElapsed(u.elapsed_s ?? 0)),
          u.ended ? ` · ${t("lv.ended")}` : "",
          h("br"),
          h("strong", {}, u.prompt),
        );
        text!.replaceChildren(u.text, " ", h("span", { class: "partial" }, u.partial));
      });
      source.addEventListener("coverage", (event) => {
        const u = JSON.parse((event as MessageEvent).data) as { answer_id: string; label: string; criteria: { criterion: string; score: number | null; covered?: string[] | null; missing?: string[] | null }[] };
        const coverage = card(u.answer_id).querySelector(".live-coverage")!;
        // A score only from an evaluator that judges content; keyword coverage lists key points.
        const line = (c: (typeof u.criteria)[number]) => {
          if (c.score !== null) return h("li", {}, `${c.criterion}: `, h("meter", { min: 1, max: 5, value: c.score, "aria-label": c.criterion }), ` ${c.score} / 5`);
          const covered = c.covered ?? [];
          return h("li", {}, t("lv.mentioned", { criterion: c.criterion, n: covered.length, total: covered.length + (c.missing ?? []).length }), covered.length ? ` (${covered.join(", ")})` : "");
        };
        coverage.replaceChildren(h("p", { class: "muted" }, `${t("lv.coverage")} — ${u.label}`), h("ul", { class: "plain" }, ...u.criteria.map(line)));
      });
    },
  });
  return h("section", { class: "card" }, h("h2", {}, t("lv.title")), h("p", { class: "muted" }, t("lv.lead")), toggle, list);
}
