// Recruiters' interviews: the list, the builder (details, questions with rubrics, status,
// public link) and the candidates (invite, CSV import, accommodations, resend, revoke).
import { api, type Schemas } from "../api/client";
import { field, formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { navigate } from "../router";
import { button, input, page, showError, showOk, status, submitWith } from "../ui";
import { reportsSection } from "./reporting";

type Interview = Schemas["InterviewOut"];
type QuestionIn = Schemas["QuestionIn"];
type Kind = NonNullable<QuestionIn["kind"]>;

const statusTag = (s: Interview["status"]) => h("span", { class: `tag status-${s}` }, t(`iv.status.${s}`));

export async function interviewList(): Promise<HTMLElement> {
  const msg = status();
  const [list, templates] = await Promise.all([
    api.GET("/api/v1/interviews", { params: { query: { limit: 200 } } }),
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
  const rows = items.map((i) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `/interviews/${i.id}` }, i.title)),
      h("td", {}, statusTag(i.status)),
      h("td", {}, String(i.questions)),
      h("td", {}, `${Object.values(i.candidates).reduce((a, b) => a + b, 0)} · ${i.candidates.completed} ${t("iv.completed")}`),
      h("td", {}, formatDate(i.created_at, locale())),
    ),
  );
  return page(
    t("iv.title"),
    t("iv.lead"),
    form,
    msg,
    items.length
      ? h("table", {}, h("thead", {}, h("tr", {}, ...[t("iv.name"), "", t("iv.questions"), t("iv.candidates"), t("keys.createdAt")].map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, ...rows))
      : h("p", { class: "muted" }, t("iv.none")),
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

export async function interviewDetail(_q: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
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

  const [candidates, reports] = await Promise.all([candidatesSection(interview, msg), reportsSection(interview.id)]);
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

async function candidatesSection(interview: Interview, msg: HTMLElement): Promise<HTMLElement> {
  const path = { params: { path: { interview_id: interview.id } } };
  const tbody = h("tbody");
  const empty = h("tr", {}, h("td", { colspan: "4", class: "muted" }, t("iv.noCandidates")));
  // Rows by candidate id, each cell with the data it shows: a refresh replaces only the cells
  // whose data changed, so an open select, focus and a screen reader's place survive it.
  const shown = new Map<string, { tr: HTMLTableRowElement; keys: string[] }>();
  let cursor: string | null = null;
  const more = button(t("list.more"), { hidden: true, class: "show-more", onclick: () => loadMore() });

  async function fetchPage(after: string | null, limit: number) {
    const query = { limit, ...(after ? { cursor: after } : {}) };
    const r = await api.GET("/api/v1/interviews/{interview_id}/candidates", { params: { path: { interview_id: interview.id }, query } });
    if (r.error) showError(msg, r.error);
    return r.data;
  }
  /** Show `items` in order after `prev` (null: at the top), moving only rows out of place and
   * replacing only cells whose data changed. Returns the last row placed. */
  function place(items: Schemas["CandidateOut"][], prev: HTMLTableRowElement | null): HTMLTableRowElement | null {
    empty.remove();
    for (const c of items) {
      const cells = cellsOf(c);
      const keys = cells.map((cell) => cell.dataset.key!);
      let known = shown.get(c.id);
      if (!known) {
        known = { tr: h("tr", { "data-candidate": c.email, "data-id": c.id }, ...cells), keys };
        shown.set(c.id, known);
      } else {
        keys.forEach((key, i) => {
          if (known!.keys[i] !== key) known!.tr.children[i]!.replaceWith(cells[i]!);
        });
        known.keys = keys;
      }
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (known.tr !== want) tbody.insertBefore(known.tr, want);
      prev = known.tr;
    }
    if (!shown.size) tbody.append(empty);
    return prev;
  }
  async function loadMore(): Promise<void> {
    more.disabled = true;
    const data = await fetchPage(cursor, 50);
    more.disabled = false;
    if (!data) return;
    place(data.items, tbody.lastElementChild === empty ? null : (tbody.lastElementChild as HTMLTableRowElement | null));
    cursor = data.next_cursor;
    more.hidden = cursor === null;
  }
  /** Refresh the rows shown (and show new ones at the top), walking the pages from the start. */
  async function load(): Promise<void> {
    const target = Math.max(shown.size, 1);
    const limit = Math.min(200, Math.max(50, shown.size));
    let after: string | null = null;
    let prev: HTMLTableRowElement | null = null;
    let seen = 0;
    do {
      const data = await fetchPage(after, limit);
      if (!data) return;
      prev = place(data.items, prev);
      seen += data.items.length;
      after = data.next_cursor;
    } while (after !== null && seen < target);
    cursor = after;
    more.hidden = cursor === null;
  }

  /** A candidate's cells, each keyed by the data it shows. */
  function cellsOf(c: Schemas["CandidateOut"]): HTMLTableCellElement[] {
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
    const closed = c.status === "completed" || c.status === "revoked";
    const e = c.invitation_email;
    const cell = (key: unknown[], ...content: (Node | string | null)[]) => h("td", { "data-key": JSON.stringify(key) }, ...content);
    return [
      cell([c.name, c.email, e?.status, e?.attempts, e?.last_error], h("a", { href: `/candidates/${c.id}` }, h("strong", {}, c.name)), h("br"), h("span", { class: "muted" }, c.email), emailState(c)),
      cell([c.status, c.answered], h("span", { class: `tag cs-${c.status}` }, t(`cs.${c.status}`)), h("br"), h("span", { class: "muted" }, t("iv.answered", { n: c.answered }))),
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
    h("table", {}, h("thead", {}, h("tr", {}, ...[t("iv.candidateName"), "", `${t("iv.extraTime")} · ${t("iv.extraRetakes")}`, ""].map((c) => h("th", { scope: "col" }, c)))), tbody),
    more,
    h("details", {}, h("summary", {}, t("iv.import")), importForm, report),
  );
}

/** Live transcripts of answers being recorded now (server-sent events). */
function liveSection(interview: Interview): HTMLElement | null {
  if (interview.status !== "active") return null;
  const list = h("div", { class: "live", "aria-live": "polite" });
  const names = new Map<string, string>();
  let source: EventSource | null = null;
  const rows = new Map<string, HTMLElement>();
  const toggle = button(t("lv.watch"), {
    onclick: async () => {
      if (source) {
        source.close();
        source = null;
        toggle.textContent = t("lv.watch");
        list.replaceChildren();
        return;
      }
      list.replaceChildren(h("p", { class: "muted waiting" }, t("lv.waiting")));
      source = new EventSource(`/api/v1/interviews/${interview.id}/live`);
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
        const u = JSON.parse((event as MessageEvent).data) as { answer_id: string; candidate_id: string; question: number; prompt: string; text: string; partial: string; ended: boolean };
        const [head, text] = card(u.answer_id).children as unknown as HTMLElement[];
        // Names of those answering now, asked for once each (not the whole candidate list).
        if (!names.has(u.candidate_id)) {
          names.set(u.candidate_id, "…");
          void api.GET("/api/v1/candidates/{candidate_id}", { params: { path: { candidate_id: u.candidate_id } } }).then((r) => {
            if (r.data) names.set(u.candidate_id, r.data.name);
          });
        }
        head!.replaceChildren(t("lv.question", { name: names.get(u.candidate_id)!, n: u.question + 1 }), u.ended ? ` · ${t("lv.ended")}` : "", h("br"), h("strong", {}, u.prompt));
        text!.replaceChildren(u.text, " ", h("span", { class: "partial" }, u.partial));
      });
      source.addEventListener("coverage", (event) => {
        const u = JSON.parse((event as MessageEvent).data) as { answer_id: string; label: string; criteria: { criterion: string; score: number }[] };
        const coverage = card(u.answer_id).querySelector(".live-coverage")!;
        coverage.replaceChildren(
          h("p", { class: "muted" }, `${t("lv.coverage")} — ${u.label}`),
          h("ul", { class: "plain" }, ...u.criteria.map((c) => h("li", {}, `${c.criterion}: `, h("meter", { min: 1, max: 5, value: c.score, "aria-label": c.criterion }), ` ${c.score} / 5`))),
        );
      });
    },
  });
  return h("section", { class: "card" }, h("h2", {}, t("lv.title")), h("p", { class: "muted" }, t("lv.lead")), toggle, list);
}
