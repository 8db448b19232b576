// A candidate's answers for the hiring team: the video (or audio) beside its transcript — the
// spoken word is highlighted as it plays, and selecting a word jumps the player to it.
import { api, type Schemas } from "../api/client";
import { formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { navigate } from "../router";
import { current } from "../session";
import { button, page, showError, showOk, status, submitWith } from "../ui";

// score is null (and covered/missing are set) when the evaluator only listed keyword coverage.
type Criterion = { criterion: string; weight: number; score: number | null; covered?: string[]; missing?: string[]; rationale: string; evidence: { quote: string; start: number | null }[] };

// Keyword coverage is no judgment of content: it says so, and how to get one.
const noGradeNote = () => [h("p", { class: "muted", "data-testid": "no-grade" }, t("rv.noGrade")), h("p", { class: "muted" }, t("rv.configure"))];

function criterionHead(c: Criterion): HTMLElement[] {
  if (c.score !== null) return [h("strong", {}, `${c.criterion} (×${c.weight}): ${c.score} / 5`), h("br"), h("span", {}, c.rationale)];
  const covered = c.covered ?? [];
  const missing = c.missing ?? [];
  return [
    h("strong", {}, t("rv.coverage", { criterion: c.criterion, weight: c.weight, n: covered.length, total: covered.length + missing.length })),
    covered.length ? h("p", { class: "covered" }, t("rv.mentioned", { points: covered.join(", ") })) : null,
    missing.length ? h("p", { class: "missing muted" }, t("rv.missing", { points: missing.join(", ") })) : null,
  ].filter((x): x is HTMLElement => x !== null);
}

// Who was shown the AI evaluation when, and whether they had rated the answer first.
function evaluationViews(a: Schemas["AnswerReview"]): HTMLElement | null {
  if (!a.evaluation_views?.length) return null;
  return h(
    "p",
    { class: "muted", "data-testid": "evaluation-views" },
    t("rv.shownTo"),
    " ",
    a.evaluation_views.map((v) => t(v.rated_before ? "rv.shownAfterRating" : "rv.shownBeforeRating", { name: v.name, time: new Date(v.shown_at).toLocaleString() })).join("; "),
  );
}

function evaluationView(a: Schemas["AnswerReview"], media: HTMLMediaElement | null): HTMLElement | null {
  if (a.evaluation_held) return h("p", { class: "muted", "data-testid": "evaluation-held" }, t("rv.evalHeld"));
  const ev = a.evaluation;
  if (!ev) return a.transcript?.status === "skipped" ? null : h("p", { class: "muted" }, t("rv.evaluating"));
  if (ev.status === "skipped") return h("p", { class: "muted" }, t("rv.evalSkipped", { reason: ev.reason ?? "" }));
  if (ev.status === "abstained") return h("p", { class: "status abstained", role: "status" }, t("rv.evalAbstained"));
  if (ev.status === "failed") return h("p", { class: "status error" }, t("rv.evalFailed", { reason: ev.reason ?? "" }));
  const result = ev.result as { label: string; graded?: boolean; summary: string; overall: number | null; criteria: Criterion[]; instruction_like?: string[] };
  const graded = result.graded !== false && ev.method !== "local_rubric";
  const steering = result.instruction_like ?? [];
  return h(
    "div",
    { class: "evaluation" },
    h("h4", {}, t("rv.evaluation"), graded && result.overall !== null ? h("span", { class: "tag" }, t("rv.overall", { score: result.overall })) : null),
    h("p", { class: "muted" }, `${result.label}. ${t("rv.advisory")}`),
    steering.length
      ? h("div", { class: "status error", role: "alert", "data-testid": "instruction-like" }, h("p", {}, t("rv.instructionLike")), h("ul", {}, ...steering.map((x) => h("li", {}, h("q", {}, x)))))
      : null,
    ...(graded ? [] : noGradeNote()),
    h("p", {}, result.summary),
    h(
      "ul",
      { class: "plain" },
      ...result.criteria.map((c) =>
        h(
          "li",
          {},
          ...criterionHead(graded ? c : { ...c, score: null }),
          ...c.evidence.map((e) =>
            h(
              "blockquote",
              { class: "evidence" },
              `“${e.quote}” `,
              e.start !== null && media
                ? button(t("rv.at", { seconds: e.start.toFixed(1) }), {
                    class: "link",
                    onclick: () => {
                      media.currentTime = e.start ?? 0;
                      void media.play();
                    },
                  })
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

// Across all answers: a summary with strengths and concerns, once every answer is evaluated.
function summaryView(data: Schemas["CandidateReview"]): HTMLElement | null {
  if (data.summary_held) return h("p", { class: "muted", "data-testid": "summary-held" }, t("rv.summaryHeld"));
  const summary = data.summary;
  if (!summary) return null;
  if (summary.status === "failed") return h("p", { class: "status error" }, t("rv.summaryFailed", { reason: summary.reason ?? "" }));
  const result = summary.result as { label: string; graded?: boolean; summary: string; strengths: string[]; concerns: string[] };
  const points = (title: string, items: string[]) => [h("h4", {}, title), items.length ? h("ul", {}, ...items.map((x) => h("li", {}, x))) : h("p", { class: "muted" }, t("rv.none"))];
  return h(
    "section",
    { class: "card", "data-testid": "summary" },
    h("h2", {}, t("rv.summary")),
    h("p", { class: "muted" }, `${result.label}. ${t("rv.advisory")}`),
    h("p", {}, result.summary),
    ...(result.graded === false ? noGradeNote() : [...points(t("rv.strengths"), result.strengths), ...points(t("rv.concerns"), result.concerns)]),
  );
}

function ratingsView(a: Schemas["AnswerReview"], msg: HTMLElement): HTMLElement | null {
  if (!a.ratings.length) return null;
  return h(
    "div",
    { class: "ratings" },
    h("h4", {}, t("rv.yourRating")),
    ...a.ratings.map((r) => {
      const select = h(
        "select",
        { "aria-label": `${t("rv.yourRating")}: ${r.criterion}` },
        h("option", { value: "", selected: r.mine === null }, "—"),
        ...[1, 2, 3, 4, 5].map((n) => h("option", { value: String(n), selected: r.mine === n }, String(n))),
      );
      select.addEventListener("change", async () => {
        if (!select.value) return;
        const { error } = await api.PUT("/api/v1/answers/{answer_id}/ratings", {
          params: { path: { answer_id: a.id } },
          body: { ratings: [{ criterion: r.criterion, score: Number(select.value) }] },
        });
        if (error) showError(msg, error);
        else if (a.evaluation_held) navigate(location.pathname, true); // your rating reveals it
        else showOk(msg, t("saved"));
      });
      return h(
        "div",
        { class: "rating-row" },
        h("span", {}, r.criterion),
        select,
        r.team_count ? h("span", { class: "muted" }, r.team_average === null ? t("rv.teamHidden", { n: r.team_count }) : t("rv.team", { avg: r.team_average, n: r.team_count })) : null,
      );
    }),
  );
}

function teamSection(data: Schemas["CandidateReview"], candidateId: string, msg: HTMLElement, reload: () => void): HTMLElement {
  const latest = data.decisions[0];
  const note = h("input", { type: "text", name: "note", maxlength: "2000", "aria-label": t("rv.note"), placeholder: t("rv.note") });
  const decide = (decision: "advance" | "hold" | "reject") =>
    button(t(`rv.d.${decision}`), {
      class: decision === "advance" ? "primary" : decision === "reject" ? "danger" : "",
      onclick: async () => {
        const { error } = await api.POST("/api/v1/candidates/{candidate_id}/decision", {
          params: { path: { candidate_id: candidateId } },
          body: { decision, note: note.value },
        });
        if (error) showError(msg, error);
        else reload();
      },
    });
  const me = current();
  const canDecide = me?.role !== "reviewer";
  const comment = h("form", {}, h("fieldset", {}, h("textarea", { name: "body", rows: "2", maxlength: "5000", "aria-label": t("rv.addComment"), placeholder: t("rv.addComment") }), h("button", { type: "submit" }, t("rv.post"))));
  submitWith(
    comment,
    msg,
    (v) => api.POST("/api/v1/candidates/{candidate_id}/comments", { params: { path: { candidate_id: candidateId } }, body: { body: v.body ?? "" } }),
    () => reload(),
  );
  return h(
    "section",
    { class: "card" },
    h("h2", {}, t("rv.decision")),
    h("p", { "data-testid": "decision" }, latest ? t("rv.current", { decision: t(`rv.d.${latest.decision}`) }) : t("rv.noDecision")),
    canDecide ? h("div", { class: "actions" }, note, decide("advance"), decide("hold"), decide("reject")) : null,
    h("ul", { class: "plain muted" }, ...data.decisions.map((d) => h("li", {}, t("rv.by", { decision: t(`rv.d.${d.decision}`), name: d.by ?? "—", date: formatDate(d.created_at, locale()) }), d.note ? ` — ${d.note}` : ""))),
    h("h2", {}, t("rv.comments")),
    h("ul", { class: "plain" }, ...data.comments.map((c) => h("li", {}, h("strong", {}, c.author ?? "—"), h("span", { class: "muted" }, ` · ${formatDate(c.created_at, locale())}`), h("br"), c.body))),
    comment,
  );
}

type QuestionReview = Schemas["QuestionReview"];
type Word = { start: number; end: number; text: string };

function transcriptView(segments: { words?: Word[] }[], media: HTMLMediaElement | null): HTMLElement {
  const words: [Word, HTMLElement][] = [];
  const para = h("p", { class: "transcript" });
  for (const segment of segments) {
    for (const word of segment.words ?? []) {
      const el = h("button", { type: "button", class: "word", "data-start": String(word.start), title: `${word.start.toFixed(1)} s` }, word.text);
      el.addEventListener("click", () => {
        if (!media) return;
        media.currentTime = word.start;
        void media.play();
      });
      words.push([word, el]);
      para.append(el, " ");
    }
  }
  // Highlight the word being spoken: the last one that has started (and not long ended).
  media?.addEventListener("timeupdate", () => {
    const now = media.currentTime;
    let current = -1;
    words.forEach(([w], i) => {
      if (w.start <= now && now <= w.end + 0.3) current = i;
    });
    words.forEach(([, el], i) => el.classList.toggle("current", i === current));
  });
  return para;
}

/** A note when the network visibly affected the answer (1 % loss, or a second lost or frozen). */
function qualityNote(a: NonNullable<QuestionReview["answer"]>): HTMLElement | null {
  const q = a.quality;
  if (!q || (q.packet_loss_pct < 1 && q.audio_lost_ms + q.silence_ms < 1000 && q.frozen_ms < 1000)) return null;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return h(
    "p",
    { class: "muted quality-note", "data-testid": "quality-note" },
    t("rv.quality", { loss: q.packet_loss_pct.toFixed(1), lost: seconds(Math.max(q.audio_lost_ms, q.silence_ms)), frozen: seconds(q.frozen_ms) }),
  );
}

function answerView(q: QuestionReview, msg: HTMLElement): HTMLElement[] {
  const a = q.answer;
  if (!a) return [h("p", { class: "muted" }, t("rv.noAnswer"))];
  if (q.kind === "text") {
    return [h("blockquote", { class: "text-answer" }, a.text_answer ?? ""), evaluationView(a, null), ratingsView(a, msg), evaluationViews(a)].filter((x): x is HTMLElement => x !== null);
  }
  const out: HTMLElement[] = [];
  if (a.status === "interrupted") out.push(h("p", { class: "muted" }, t("rv.answerStatus.interrupted")));
  const quality = qualityNote(a);
  if (quality) out.push(quality);
  if (a.status === "failed") return [h("p", { class: "status error" }, t("rv.answerStatus.failed", { reason: a.failure_reason ?? "" }))];
  if (a.status === "recording" || a.status === "pending") return [h("p", { class: "muted" }, t(`rv.answerStatus.${a.status}`))];
  let media: HTMLMediaElement | null = null;
  if (a.playback_url) {
    media = h(q.kind === "video" ? "video" : "audio", { controls: true, preload: "metadata", src: a.playback_url, poster: a.poster_url ?? undefined, class: "playback" }) as HTMLMediaElement;
    out.push(media);
  } else if (a.recording_urls?.length) {
    // No playback file (yet, or it could not be made): the recording itself plays, segment by segment.
    out.push(a.playback_status === "failed"
      ? h("p", { class: "status error" }, t("rv.playbackFailed", { reason: a.playback_error ?? "" }))
      : h("p", { class: "muted" }, t("rv.preparingRecording")));
    for (const src of a.recording_urls) {
      const player = h(q.kind === "video" ? "video" : "audio", { controls: true, preload: "metadata", src, class: "playback recording" }) as HTMLMediaElement;
      media ??= player;
      out.push(player);
    }
  } else out.push(h("p", { class: "muted" }, t("rv.preparing")));
  const tr = a.transcript;
  if (!tr || tr.status === "processing") out.push(h("p", { class: "muted" }, t("rv.processing")));
  else if (tr.status === "skipped") out.push(h("p", { class: "muted" }, t("rv.skipped", { reason: tr.reason ?? "" })));
  else if (tr.status === "failed") out.push(h("p", { class: "status error" }, t("rv.failedTranscript", { reason: tr.reason ?? "" })));
  else out.push(h("h4", {}, t("rv.transcript")), transcriptView(tr.segments as { words?: Word[] }[], media));
  for (const extra of [evaluationView(a, media), ratingsView(a, msg), evaluationViews(a)]) if (extra) out.push(extra);
  return out;
}

function pending(data: Schemas["CandidateReview"]): boolean {
  const summarising = data.candidate.status === "completed" && data.candidate.ai_consent === true && !data.summary && !data.summary_held;
  return summarising || data.questions.some((q) => {
    const a = q.answer;
    if (!a || a.status === "failed") return false;
    if (a.evaluation_held) return false;
    if (q.kind === "text") return !a.evaluation;
    return a.status === "recording" || (!a.playback_url && a.playback_status !== "failed") || !a.transcript || a.transcript.status === "processing" || (a.transcript.status === "ready" && !a.evaluation);
  });
}

export async function review(_q: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const msg = status();
  const load = () => api.GET("/api/v1/candidates/{candidate_id}/answers", { params: { path: { candidate_id: params.id! } } });
  const { data, error } = await load();
  if (!data) {
    showError(msg, error);
    return page(t("rv.open"), null, msg);
  }
  const sections = h("div", {}, ...questionSections(data, msg));
  const reload = () => navigate(location.pathname, true);
  const team = teamSection(data, params.id!, msg, reload);
  // While answers are still being processed, refresh them in place (the page stays put).
  const refresh = async () => {
    if (!sections.isConnected) return;
    const next = await load();
    if (next.data) sections.replaceChildren(...questionSections(next.data, msg));
    if (next.data && pending(next.data)) setTimeout(refresh, 3000);
  };
  if (pending(data)) setTimeout(refresh, 3000);
  const c = data.candidate;
  const consent = c.ai_consent === null ? t("rv.unknown") : c.ai_consent ? t("rv.yes") : t("rv.no");
  return page(
    c.name,
    `${c.email} · ${t(`cs.${c.status}`)}`,
    h("p", {}, h("a", { href: `/interviews/${c.interview_id}` }, t("rv.back", { title: data.interview_title })), " · ", h("a", { href: `/api/v1/candidates/${c.id}/report`, target: "_blank" }, t("rp.report")), " · ", h("a", { href: `/api/v1/candidates/${c.id}/report.pdf`, download: "" }, t("rp.report_pdf"))),
    h("p", { class: "muted" }, t("rv.aiConsent", { value: consent })),
    msg,
    team,
    sections,
  );
}

function questionSections(data: Schemas["CandidateReview"], msg: HTMLElement): HTMLElement[] {
  const summary = summaryView(data);
  const questions = data.questions.map((q) =>
    h(
      "section",
      { class: "card answer", "data-question": String(q.position) },
      h("p", { class: "muted" }, `${t("c.question", { n: q.position + 1, total: data.questions.length })} · ${t(`c.kind.${q.kind}`)}`),
      h("h3", {}, q.prompt),
      ...answerView(q, msg),
    ),
  );
  return summary ? [summary, ...questions] : questions;
}
