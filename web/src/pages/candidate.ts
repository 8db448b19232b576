// The candidate's interview: welcome, notice and consent, device check, practice, questions
// (think time, live streaming over WHIP, retakes, written answers), finish. No account needed:
// the personal link's token authorises every call. Camera and microphone are on only while an
// answer records.
import { noticeView } from "./rights";
import { selfIdentification } from "./selfId";
import { api, describeError, type Schemas } from "../api/client";
import { h } from "../dom";
import { type Locale, setLocale, t } from "../i18n";
import { publish, WhipError, type WhipSession } from "../whip";

type Session = Schemas["CandidateSession"];
type Question = Schemas["CandidateQuestion"];

function tabId(): string {
  let id = sessionStorage.getItem("fairview.tab");
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem("fairview.tab", id);
  }
  return id;
}

function supported(): boolean {
  return typeof RTCPeerConnection === "function" && !!navigator.mediaDevices?.getUserMedia;
}

async function media(video: boolean): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true },
    video: video ? { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" } : false,
  });
}

function stopStream(stream: MediaStream | null): void {
  stream?.getTracks().forEach((track) => track.stop());
}

/** A live microphone level meter (for the device check). */
function levelMeter(stream: MediaStream): { el: HTMLElement; stop: () => void } {
  const meter = h("meter", { min: "0", max: "1", value: "0", "aria-label": t("c.level"), class: "level" });
  const ctx = new AudioContext();
  // Created after getUserMedia's prompt, the context may start suspended (Firefox does): the
  // meter would stay at 0. The page has had the user's click, so resuming is allowed.
  if (ctx.state === "suspended") void ctx.resume();
  const analyser = ctx.createAnalyser();
  ctx.createMediaStreamSource(stream).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let peak = 0;
    for (const v of buf) peak = Math.max(peak, Math.abs(v));
    meter.value = Math.min(1, peak * 1.5);
  }, 100);
  return { el: meter, stop: () => (clearInterval(timer), void ctx.close()) };
}

function countdown(seconds: number, onTick: (left: number) => void, onDone: () => void): () => void {
  let left = seconds;
  onTick(left);
  const timer = setInterval(() => {
    left -= 1;
    onTick(Math.max(0, left));
    if (left <= 0) {
      clearInterval(timer);
      onDone();
    }
  }, 1000);
  return () => clearInterval(timer);
}

export async function candidateApp(_query: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const token = params.token!;
  const root = h("div", { class: "candidate-app" });
  let takeover = false;
  const headers = () => ({
    Authorization: `Bearer ${token}`,
    "X-Fairview-Tab": tabId(),
    ...(takeover ? { "X-Fairview-Tab-Takeover": "1" } : {}),
  });
  let session: Session;
  const message = h("p", { class: "status", role: "alert" });

  const show = (...children: (Node | null)[]) => {
    root.replaceChildren(...children.filter((c): c is Node => c !== null));
    root.querySelector<HTMLElement>("h1")?.focus();
  };
  const fail = (error: unknown) => {
    message.className = "status error";
    message.textContent = describeError(error, t("genericError"));
  };

  async function load(): Promise<boolean> {
    const { data, error, response } = await api.GET("/api/v1/candidate/session", { headers: headers() });
    takeover = false;
    if (data) {
      session = data;
      return true;
    }
    if (response.status === 409 && (error as { error?: string })?.error === "open_in_another_tab") {
      show(
        h("h1", { tabindex: "-1" }, t("c.otherTab")),
        h("button", { type: "button", class: "primary", onclick: async () => ((takeover = true), await start()) }, t("c.useHere")),
      );
    } else if (response.status === 410 && (error as { error?: string })?.error === "completed") {
      await done(describeError(error, t("genericError")), null);
    } else {
      show(h("h1", { tabindex: "-1" }, t("appName")), h("p", { class: "status error", role: "alert" }, describeError(error, t("genericError"))));
    }
    return false;
  }

  const org = () => session.interview.organization;

  function welcome(): void {
    const total = session.questions.length;
    show(
      session.interview.logo_url ? h("img", { src: session.interview.logo_url, alt: org(), class: "logo" }) : null,
      h("h1", { tabindex: "-1" }, t("c.welcome", { name: session.name })),
      h("p", { class: "lead" }, t("c.intro", { org: org(), title: session.interview.title })),
      session.interview.intro ? h("p", { class: "intro" }, session.interview.intro) : null,
      h("p", {}, t("c.howItWorks", { count: total })),
      h("button", { type: "button", class: "primary", onclick: () => (session.consented ? deviceCheck() : notice()) }, t("c.begin")),
    );
  }

  function notice(): void {
    const recording = h("input", { type: "checkbox", name: "recording", id: "consent-recording" });
    const ai = h("input", { type: "checkbox", name: "ai", id: "consent-ai" });
    const form = h(
      "form",
      {},
      h("ul", { class: "notice" }, ...[t("c.notice1", { org: org() }), t("c.notice2"), t("c.notice3"), t("c.notice4", { org: org() })].map((p) => h("li", {}, p))),
      h("p", { class: "muted" }, t("c.noticeVersion", { version: session.notice_version })),
      h("div", { class: "check-row" }, recording, h("label", { for: "consent-recording" }, t("c.consentRecording"))),
      h("div", { class: "check-row" }, ai, h("label", { for: "consent-ai" }, t("c.consentAi"))),
      h("button", { type: "submit", class: "primary" }, t("c.continue")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const { error } = await api.POST("/api/v1/candidate/consent", {
        headers: headers(),
        body: { notice_version: session.notice_version, recording: recording.checked, ai: ai.checked },
      });
      if (error) return fail(error);
      await load();
      deviceCheck();
    });
    show(h("h1", { tabindex: "-1" }, t("c.noticeTitle")), form, message);
    // What the AI evaluates, generated from this interview's rubric, and the rights link.
    void api.GET("/api/v1/candidate/ai-notice", { headers: headers() }).then(({ data }) => {
      if (!data) return;
      form.before(
        h(
          "details",
          { class: "ai-notice-details" },
          h("summary", {}, t("rg.evaluates")),
          noticeView(data),
          data.rights_link ? h("p", {}, h("a", { href: data.rights_link, target: "_blank", rel: "noopener" }, t("rg.requests"))) : null,
        ),
      );
    });
  }

  function deviceCheck(): void {
    if (!supported()) {
      show(h("h1", { tabindex: "-1" }, t("c.deviceTitle")), h("p", { class: "status error", role: "alert" }, t("c.unsupported")));
      return;
    }
    const needsVideo = session.questions.some((q) => q.kind === "video");
    const preview = h("video", { autoplay: true, muted: true, playsinline: true, class: "preview", "aria-hidden": "true" });
    const net = h("span", {}, "…");
    const next = h("button", { type: "button", class: "primary", disabled: true }, t("c.continue"));
    const status = h("div", { class: "device" });
    let stream: MediaStream | null = null;
    let meter: { stop: () => void } | null = null;
    const release = () => (meter?.stop(), stopStream(stream));
    next.addEventListener("click", () => (release(), practice()));
    const allow = h("button", { type: "button" }, t("c.deviceAllow"));
    const check = async () => {
      try {
        stream = await media(needsVideo);
        preview.srcObject = stream;
        const m = levelMeter(stream);
        meter = m;
        status.replaceChildren(needsVideo ? preview : h("span"), h("label", {}, t("c.level"), " ", m.el));
        allow.hidden = true;
        next.disabled = false;
        // Recorded for the team's funnel (once; a repeat changes nothing). It never holds the
        // candidate up: a failure here is not theirs to fix.
        void api.POST("/api/v1/candidate/devices-checked", { headers: headers() }).catch(() => undefined);
      } catch (error) {
        fail({ detail: t("c.deviceDenied", { error: (error as Error).name || String(error) }) });
      }
    };
    allow.addEventListener("click", check);
    fetch("/healthz").then(
      (r) => (net.textContent = r.ok ? t("c.connectivityOk") : t("c.connectivityFail")),
      () => (net.textContent = t("c.connectivityFail")),
    );
    show(
      h("h1", { tabindex: "-1" }, t("c.deviceTitle")),
      h("p", { class: "lead" }, t("c.deviceLead")),
      status,
      h("p", {}, `${t("c.connectivity")}: `, net),
      message,
      h("div", { class: "actions" }, allow, next),
    );
    void check();
  }

  function practice(): void {
    const needsVideo = session.questions.some((q) => q.kind === "video");
    const area = h("div", { class: "device" });
    const record = h("button", { type: "button" }, t("c.practiceRecord"));
    record.addEventListener("click", async () => {
      const stream = await media(needsVideo).catch((e) => (fail(e), null));
      if (!stream) return;
      const chunks: Blob[] = [];
      const recorder = new MediaRecorder(stream);
      recorder.ondataavailable = (e) => chunks.push(e.data);
      recorder.onstop = () => {
        stopStream(stream);
        const playback = h(needsVideo ? "video" : "audio", { controls: true, class: "preview" }) as HTMLMediaElement;
        playback.src = URL.createObjectURL(new Blob(chunks, { type: recorder.mimeType }));
        area.replaceChildren(playback);
      };
      const live = h("video", { autoplay: true, muted: true, playsinline: true, class: "preview" });
      live.srcObject = stream;
      const stop = h("button", { type: "button", onclick: () => recorder.stop() }, t("c.practiceStop"));
      area.replaceChildren(needsVideo ? live : h("span"), stop);
      recorder.start();
      setTimeout(() => recorder.state === "recording" && recorder.stop(), 30_000);
    });
    show(
      h("h1", { tabindex: "-1" }, t("c.practiceTitle")),
      h("p", { class: "prompt" }, t("c.practicePrompt")),
      area,
      h("div", { class: "actions" }, record, h("button", { type: "button", class: "primary", onclick: () => nextQuestion() }, t("c.practiceDone"))),
    );
  }

  async function nextQuestion(): Promise<void> {
    if (!(await load())) return;
    if (session.current === null || session.current === undefined) return finish();
    question(session.questions[session.current]!);
  }

  function header(q: Question): HTMLElement[] {
    return [
      h("p", { class: "muted" }, `${t("c.question", { n: q.position + 1, total: session.questions.length })} · ${t(`c.kind.${q.kind}`)}`),
      h("h1", { tabindex: "-1", class: "prompt" }, q.prompt ?? ""),
    ];
  }

  function question(q: Question): void {
    message.textContent = "";
    if (q.kind === "text") return textQuestion(q);
    if (q.status === "interrupted" && q.answer_id) return interrupted(q, q.answer_id, q.attempts_allowed - q.attempts_used);
    if (q.think_seconds === 0) return void record(q);
    const label = h("p", { class: "think", "aria-live": "polite" });
    const cancel = countdown(q.think_seconds, (left) => (label.textContent = t("c.thinkTime", { seconds: left })), () => void record(q));
    show(...header(q), label, h("button", { type: "button", class: "primary", onclick: () => (cancel(), void record(q)) }, t("c.startNow")));
  }

  /** Continue an answer whose connection dropped: same answer, a new streaming token. */
  async function resume(q: Question, answerId: string): Promise<void> {
    const { data, error } = await api.POST("/api/v1/candidate/answers/{answer_id}/resume", {
      headers: headers(),
      params: { path: { answer_id: answerId } },
    });
    if (error || !data) return fail(error);
    await record(q, data);
  }

  function interrupted(q: Question, answerId: string, attemptsLeft: number): void {
    const isLast = q.position === session.questions.length - 1;
    show(
      ...header(q),
      h("p", { class: "status error", role: "alert" }, t("c.connectionLost")),
      message,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => resume(q, answerId) }, t("c.continueAnswer")),
        attemptsLeft > 0 ? h("button", { type: "button", onclick: () => record(q) }, t("c.retake", { left: attemptsLeft })) : null,
        h("button", { type: "button", onclick: () => nextQuestion() }, isLast ? t("c.finishInterview") : t("c.next")),
      ),
    );
  }

  function textQuestion(q: Question): void {
    const area = h("textarea", { name: "text", rows: "8", maxlength: "20000", placeholder: t("c.textPlaceholder"), "aria-label": q.prompt ?? "" });
    const count = h("p", { class: "muted", "aria-live": "polite" }, t("c.characters", { count: 0 }));
    area.addEventListener("input", () => (count.textContent = t("c.characters", { count: area.value.length })));
    const form = h("form", {}, area, count, h("button", { type: "submit", class: "primary" }, t("c.submitText")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const { error } = await api.POST("/api/v1/candidate/questions/{question_id}/text", {
        headers: headers(),
        params: { path: { question_id: q.id } },
        body: { text: area.value },
      });
      if (error) return fail(error);
      await nextQuestion();
    });
    show(...header(q), h("p", { class: "muted" }, t("c.timeGuide", { minutes: Math.round(q.time_limit_seconds / 60) })), form, message);
  }

  async function record(q: Question, attemptIn?: Schemas["Attempt"]): Promise<void> {
    let stream: MediaStream;
    try {
      stream = await media(q.kind === "video");
    } catch (error) {
      fail({ detail: t("c.deviceDenied", { error: (error as Error).name || String(error) }) });
      show(...header(q), message, h("button", { type: "button", onclick: () => record(q, attemptIn) }, t("c.tryAgain")));
      return;
    }
    let attempt = attemptIn;
    if (!attempt) {
      const { data, error } = await api.POST("/api/v1/candidate/questions/{question_id}/attempts", {
        headers: headers(),
        params: { path: { question_id: q.id } },
      });
      if (error || !data) {
        stopStream(stream);
        fail(error);
        show(...header(q), message);
        return;
      }
      attempt = data;
    }
    const current = attempt;
    let whip: WhipSession;
    try {
      whip = await publish(current.whip_url, current.whip_token, stream);
    } catch (error) {
      stopStream(stream);
      fail(error instanceof WhipError ? { detail: whipRefusal(error) } : error);
      show(...header(q), message, h("button", { type: "button", onclick: () => record(q, current) }, t("c.tryAgain")));
      return;
    }
    const preview = h("video", { autoplay: true, muted: true, playsinline: true, class: "preview", "aria-hidden": "true" });
    preview.srcObject = stream;
    const remaining = h("p", { class: "remaining", "aria-live": "off", "data-elapsed": "0" });
    const announcer = h("p", { class: "sr-only", "aria-live": "polite" });
    const started = Date.now();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      cancel();
      show(...header(q), h("p", { role: "status" }, t("c.saving")));
      await whip.stop().catch(() => undefined);
      stopStream(stream);
      await afterRecording(q, current);
    };
    const cancel = countdown(
      current.time_limit_seconds,
      (left) => {
        remaining.textContent = t("c.remaining", { seconds: left });
        remaining.dataset.elapsed = String(Math.round((Date.now() - started) / 1000));
        if (left % 15 === 0 || left <= 10) announcer.textContent = remaining.textContent;
      },
      () => void stop(),
    );
    whip.pc.addEventListener("connectionstatechange", () => {
      if (!stopped && (whip.pc.connectionState === "failed" || whip.pc.connectionState === "disconnected")) {
        stopped = true;
        cancel();
        stopStream(stream);
        whip.pc.close();
        void afterRecording(q, current);
      }
    });
    show(
      ...header(q),
      h("p", { class: "rec", role: "status" }, h("span", { class: "dot", "aria-hidden": "true" }), t("c.recording")),
      q.kind === "video" ? preview : null,
      remaining,
      announcer,
      h("button", { type: "button", class: "primary", onclick: stop }, t("c.stop")),
    );
  }

  async function afterRecording(q: Question, attempt: Schemas["Attempt"]): Promise<void> {
    let state: Schemas["AnswerState"] | undefined;
    for (let i = 0; i < 100; i++) {
      const { data } = await api.GET("/api/v1/candidate/answers/{answer_id}", {
        headers: headers(),
        params: { path: { answer_id: attempt.answer_id } },
      });
      state = data;
      if (state && state.status !== "recording" && state.status !== "pending") break;
      await new Promise((r) => setTimeout(r, 300));
    }
    if (!state) return fail({ detail: t("networkError") });
    const retake =
      attempt.attempts_left > 0
        ? h("button", { type: "button", onclick: () => record(q) }, t("c.retake", { left: attempt.attempts_left }))
        : null;
    const isLast = q.position === session.questions.length - 1;
    const next = h("button", { type: "button", class: "primary", onclick: () => nextQuestion() }, isLast ? t("c.finishInterview") : t("c.next"));
    if (state.status === "recorded") {
      show(...header(q), h("p", { class: "status ok", role: "status" }, t("c.saved", { seconds: Math.round(state.duration_ms / 1000) })), h("div", { class: "actions" }, retake, next));
    } else if (state.status === "interrupted") {
      interrupted(q, attempt.answer_id, attempt.attempts_left);
    } else {
      show(
        ...header(q),
        h("p", { class: "status error", role: "alert" }, failureMessage(state)),
        h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => record(q) }, t("c.tryAgain"))),
      );
    }
  }

  async function finish(): Promise<void> {
    const { error } = await api.POST("/api/v1/candidate/finish", { headers: headers() });
    if (error) {
      fail(error);
      show(h("h1", { tabindex: "-1" }, t("c.finishInterview")), message);
      return;
    }
    await done(t("c.doneLead", { org: org() }), org());
  }

  /** The completion page, with the optional self-identification (also when the link is opened
   * again after finishing). */
  async function done(lead: string, organization: string | null): Promise<void> {
    show(h("h1", { tabindex: "-1" }, t("c.doneTitle")), h("p", { class: "lead" }, lead), await selfIdentification(token, organization));
  }

  async function start(): Promise<void> {
    if (!(await load())) return;
    if (!localStorage.getItem("fairview.locale")) setLocale(session.interview.language as Locale);
    document.title = `${session.interview.title} · ${session.interview.organization}`;
    welcome();
  }

  await start();
  return root;
}

export async function joinPublic(_query: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const token = params.token!;
  const { data, error } = await api.GET("/api/v1/public-interviews/{token}", { params: { path: { token } } });
  const msg = h("p", { class: "status", role: "status" });
  if (!data) return h("section", {}, h("h1", { tabindex: "-1" }, t("appName")), h("p", { class: "status error", role: "alert" }, describeError(error, t("genericError"))));
  if (!localStorage.getItem("fairview.locale")) setLocale(data.language as Locale);
  const name = h("input", { name: "name", required: true, autocomplete: "name", id: "join-name" });
  const email = h("input", { name: "email", type: "email", required: true, autocomplete: "email", id: "join-email" });
  const form = h(
    "form",
    {},
    h("div", { class: "field" }, h("label", { for: "join-name" }, t("name")), name),
    h("div", { class: "field" }, h("label", { for: "join-email" }, t("email")), email),
    h("button", { type: "submit", class: "primary" }, t("c.join")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const res = await api.POST("/api/v1/public-interviews/{token}/join", { params: { path: { token } }, body: { name: name.value, email: email.value } });
    if (res.error) {
      msg.className = "status error";
      msg.textContent = describeError(res.error, t("genericError"));
    } else if (res.data?.link) location.assign(res.data.link);
    else {
      msg.className = "status ok";
      msg.textContent = t("c.joinEmailed");
      form.hidden = true;
    }
  });
  return h("section", {}, h("h1", { tabindex: "-1" }, t("c.joinTitle", { title: data.title, org: data.organization })), data.intro ? h("p", {}, data.intro) : null, h("p", { class: "lead" }, t("c.joinLead")), form, msg);
}

const FAILURE_CODES = ["udp_blocked", "ice_failed", "dtls_failed", "no_media", "no_video", "storage_failed", "recording_failed"] as const;

/** Why an answer failed, in the candidate's language with what to try, by the ingest's code. */
function failureMessage(state: Schemas["AnswerState"]): string {
  const code = FAILURE_CODES.find((c) => c === state.failure_code);
  return code ? t(`c.fail.${code}`) : t("c.failed", { reason: state.failure_reason ?? "" });
}

/** What a refused stream means for the candidate, by the ingest's stable error code. */
function whipRefusal(error: WhipError): string {
  switch (error.code) {
    case "invalid_offer":
      return t("c.whip.browser");
    case "unsupported_codec":
      return t("c.whip.codec");
    case "storage_unavailable":
    case "stream_failed":
    case "network":
      return t("c.whip.retry");
    case "already_streaming":
      return t("c.whip.elsewhere");
    default:
      return error.message || t("genericError");
  }
}
