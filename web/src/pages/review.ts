// A candidate's answers for the hiring team: the video (or audio) beside its transcript — the
// spoken word is highlighted as it plays, and selecting a word jumps the player to it.
import { api, type Schemas } from "../api/client";
import { h } from "../dom";
import { t } from "../i18n";
import { page, showError, status } from "../ui";

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

function answerView(q: QuestionReview): HTMLElement[] {
  const a = q.answer;
  if (!a) return [h("p", { class: "muted" }, t("rv.noAnswer"))];
  if (q.kind === "text") return [h("blockquote", { class: "text-answer" }, a.text_answer ?? "")];
  const out: HTMLElement[] = [];
  if (a.status === "interrupted") out.push(h("p", { class: "muted" }, t("rv.answerStatus.interrupted")));
  if (a.status === "failed") return [h("p", { class: "status error" }, t("rv.answerStatus.failed", { reason: a.failure_reason ?? "" }))];
  if (a.status === "recording" || a.status === "pending") return [h("p", { class: "muted" }, t(`rv.answerStatus.${a.status}`))];
  let media: HTMLMediaElement | null = null;
  if (a.playback_url) {
    media = h(q.kind === "video" ? "video" : "audio", { controls: true, preload: "metadata", src: a.playback_url, poster: a.poster_url ?? undefined, class: "playback" }) as HTMLMediaElement;
    out.push(media);
  } else out.push(h("p", { class: "muted" }, t("rv.preparing")));
  const tr = a.transcript;
  if (!tr || tr.status === "processing") out.push(h("p", { class: "muted" }, t("rv.processing")));
  else if (tr.status === "skipped") out.push(h("p", { class: "muted" }, t("rv.skipped", { reason: tr.reason ?? "" })));
  else if (tr.status === "failed") out.push(h("p", { class: "status error" }, t("rv.failedTranscript", { reason: tr.reason ?? "" })));
  else out.push(h("h4", {}, t("rv.transcript")), transcriptView(tr.segments as { words?: Word[] }[], media));
  return out;
}

function pending(data: Schemas["CandidateReview"]): boolean {
  return data.questions.some((q) => {
    const a = q.answer;
    if (!a || q.kind === "text" || a.status === "failed") return false;
    return a.status === "recording" || !a.playback_url || !a.transcript || a.transcript.status === "processing";
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
  const sections = h("div", {}, ...questionSections(data));
  // While answers are still being processed, refresh them in place (the page stays put).
  const refresh = async () => {
    if (!sections.isConnected) return;
    const next = await load();
    if (next.data) sections.replaceChildren(...questionSections(next.data));
    if (next.data && pending(next.data)) setTimeout(refresh, 3000);
  };
  if (pending(data)) setTimeout(refresh, 3000);
  const c = data.candidate;
  const consent = c.ai_consent === null ? t("rv.unknown") : c.ai_consent ? t("rv.yes") : t("rv.no");
  return page(
    c.name,
    `${c.email} · ${t(`cs.${c.status}`)}`,
    h("p", {}, h("a", { href: `/interviews/${c.interview_id}` }, t("rv.back", { title: data.interview_title }))),
    h("p", { class: "muted" }, t("rv.aiConsent", { value: consent })),
    msg,
    sections,
  );
}

function questionSections(data: Schemas["CandidateReview"]): HTMLElement[] {
  return data.questions.map((q) =>
    h(
      "section",
      { class: "card answer", "data-question": String(q.position) },
      h("p", { class: "muted" }, `${t("c.question", { n: q.position + 1, total: data.questions.length })} · ${t(`c.kind.${q.kind}`)}`),
      h("h3", {}, q.prompt),
      ...answerView(q),
    ),
  );
}
