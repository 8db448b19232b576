// Share links: the team makes, lists and revokes them (with the access log and the guests'
// feedback); the guest's page shows only what the link shares, and takes ratings and comments.
import { api, type Schemas } from "../api/client";
import { formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { button, page, showError, showOk, status } from "../ui";

type Share = Schemas["ShareOut"];

function shareCard(s: Share, names: Map<string, string>, msg: HTMLElement, reload: () => void): HTMLElement {
  const who = s.candidate_ids.map((id) => names.get(id) ?? id).join(", ");
  const state = s.revoked_at ? t("sh.revoked") : s.active ? t("sh.activeUntil", { date: formatDate(s.expires_at, locale()) }) : t("sh.expired");
  return h(
    "section",
    { class: "card share", "data-share": s.id },
    h("h4", {}, s.recipient, " ", h("span", { class: "tag" }, state)),
    h("p", { class: "muted" }, `${who}${s.hide_identity ? ` · ${t("sh.hideIdentity")}` : ""}${s.hide_video ? ` · ${t("sh.hideVideo")}` : ""}`),
    s.email ? h("p", { class: "share-email" }, t(s.confirmed ? "sh.emailConfirmed" : "sh.emailPending", { email: s.email })) : null,
    s.active
      ? button(t("sh.revoke"), {
          class: "danger",
          onclick: async () => {
            const r = await api.DELETE("/api/v1/shares/{share_id}", { params: { path: { share_id: s.id } } });
            if (r.error) showError(msg, r.error);
            else reload();
          },
        })
      : null,
    h(
      "table",
      { class: "accesses" },
      h("caption", {}, t("sh.log")),
      h("thead", {}, h("tr", {}, ...[t("sh.when"), t("sh.what"), t("sh.candidate"), t("sh.from")].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...s.accesses.map((a) => h("tr", {}, h("td", {}, formatDate(a.at, locale())), h("td", {}, t(`sh.a.${a.action}`)), h("td", {}, a.candidate ?? "—"), h("td", { class: "muted" }, `${a.ip} · ${a.user_agent.slice(0, 60)}`)))),
    ),
    s.feedback.length
      ? h("ul", { class: "plain feedback" }, ...s.feedback.map((f) => h("li", {}, `${f.candidate}: `, f.comment !== null ? `“${f.comment}”` : `${t("rp.question")} ${f.question} · ${f.criterion} ${f.score} / 5`)))
      : null,
  );
}

/** The interview page's share links: make one (a candidate or the shortlist), see each use. */
export async function sharesSection(interviewId: string, candidates: Schemas["ComparedCandidate"][]): Promise<HTMLElement> {
  const msg = status();
  const list = h("div");
  const names = new Map(candidates.map((c) => [c.id, c.name]));
  const load = async () => {
    const r = await api.GET("/api/v1/interviews/{interview_id}/shares", { params: { path: { interview_id: interviewId } } });
    if (r.data) list.replaceChildren(...r.data.map((s) => shareCard(s, names, msg, () => void load())));
    else showError(msg, r.error);
  };
  const what = h("select", { name: "what" }, h("option", { value: "" }, t("sh.shortlist")), ...candidates.map((c) => h("option", { value: c.id }, c.name)));
  const recipient = h("input", { name: "recipient", required: true, maxlength: "200" });
  const email = h("input", { name: "email", type: "email", maxlength: "254", autocomplete: "off" });
  const days = h("input", { name: "days", type: "number", min: "1", max: "90", value: "14" });
  const hideIdentity = h("input", { type: "checkbox", name: "hide_identity" });
  const hideVideo = h("input", { type: "checkbox", name: "hide_video" });
  const made = h("div");
  const form = h(
    "form",
    { class: "share-form" },
    h(
      "fieldset",
      {},
      h("legend", {}, t("sh.new")),
      h("div", { class: "row" }, h("label", {}, `${t("sh.recipient")} `, recipient), h("label", {}, `${t("sh.what")} `, what), h("label", {}, `${t("sh.days")} `, days)),
      h("label", {}, `${t("sh.email")} `, email),
      h("label", { class: "check" }, hideIdentity, t("sh.hideIdentity")),
      h("label", { class: "check" }, hideVideo, t("sh.hideVideo")),
      h("button", { type: "submit" }, t("sh.create")),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body: Schemas["ShareIn"] = {
      recipient: recipient.value,
      expires_in_days: Number(days.value),
      hide_identity: hideIdentity.checked,
      hide_video: hideVideo.checked,
      ...(email.value.trim() ? { email: email.value.trim() } : {}),
      ...(what.value ? { candidate_id: what.value } : { shortlist: true }),
    };
    const r = await api.POST("/api/v1/interviews/{interview_id}/shares", { params: { path: { interview_id: interviewId } }, body });
    if (!r.data) return showError(msg, r.error);
    showOk(msg, t("sh.made"));
    made.replaceChildren(h("label", {}, `${t("sh.link")} `, h("input", { readonly: true, value: r.data.link, class: "share-link", size: "60" })));
    await load();
  });
  await load();
  return h("section", { class: "shares", "aria-labelledby": "shares-h" }, h("h3", { id: "shares-h" }, t("sh.title")), form, msg, made, list);
}

function guestQuestion(token: string, q: Schemas["SharedQuestion"], msg: HTMLElement): HTMLElement {
  const a = q.answer;
  const media = a?.playback_url ? h(q.kind === "audio" ? "audio" : "video", { controls: true, preload: "metadata", src: a.playback_url, class: "player" }) : null;
  return h(
    "section",
    { class: "card answer" },
    h("h3", {}, `${q.position + 1}. ${q.prompt}`),
    !a ? h("p", { class: "muted" }, t("rp.noAnswer")) : null,
    media,
    a?.text ? h("p", { class: "answer-text" }, a.text) : null,
    a && q.criteria.length
      ? h(
          "div",
          { class: "ratings" },
          h("h4", {}, t("rv.yourRating")),
          ...q.criteria.map((criterion) => {
            const mine = a.my_ratings[criterion] ?? null;
            const select = h("select", { "aria-label": `${t("rv.yourRating")}: ${criterion}` }, h("option", { value: "", selected: mine === null }, "—"), ...[1, 2, 3, 4, 5].map((n) => h("option", { value: String(n), selected: mine === n }, String(n))));
            select.addEventListener("change", async () => {
              if (!select.value) return;
              const r = await api.PUT("/api/v1/shared/{token}/answers/{answer_id}/ratings", { params: { path: { token, answer_id: a.id } }, body: { ratings: [{ criterion, score: Number(select.value) }] } });
              if (r.error) showError(msg, r.error);
              else showOk(msg, t("saved"));
            });
            return h("div", { class: "rating-row" }, h("span", {}, criterion), select);
          }),
        )
      : null,
  );
}

/** The guest's page: no account, only what the link shares. */
export async function sharedPage(query: URLSearchParams, params: Record<string, string>): Promise<HTMLElement> {
  const token = params.token!;
  const msg = status();
  // The link from the confirmation email: use its code once, then forget it from the address.
  const code = query.get("confirm");
  if (code) {
    history.replaceState(null, "", `/shared/${encodeURIComponent(token)}`);
    const c = await api.POST("/api/v1/shared/{token}/confirm", { params: { path: { token } }, body: { code } });
    if (c.error) showError(msg, c.error);
  }
  const r = await api.GET("/api/v1/shared/{token}", { params: { path: { token } } });
  if (!r.data) {
    if ((r.error as { error?: string } | undefined)?.error === "confirmation_required") return confirmationPage(token, msg);
    showError(msg, r.error);
    return page(t("sh.guestTitle"), null, msg);
  }
  const view = r.data;
  const candidates = view.candidates.map((c) => {
    const comments = h("ul", { class: "plain" }, ...c.my_comments.map((body) => h("li", {}, body)));
    const text = h("textarea", { name: "body", rows: "2", maxlength: "5000", "aria-label": t("rv.addComment"), placeholder: t("rv.addComment") });
    const form = h("form", {}, text, h("button", { type: "submit" }, t("rv.post")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = text.value.trim();
      if (!body) return;
      const res = await api.POST("/api/v1/shared/{token}/candidates/{candidate_id}/comments", { params: { path: { token, candidate_id: c.id } }, body: { body } });
      if (res.error) return showError(msg, res.error);
      comments.append(h("li", {}, body));
      text.value = "";
      showOk(msg, t("saved"));
    });
    return h("article", { class: "shared-candidate" }, h("h2", {}, c.label), c.email ? h("p", { class: "muted" }, c.email) : null, ...c.questions.map((q) => guestQuestion(token, q, msg)), h("h3", {}, t("rv.comments")), comments, form);
  });
  return page(
    view.interview_title,
    t("sh.guestLead", { recipient: view.recipient, date: formatDate(view.expires_at, locale()) }),
    view.hide_identity || view.hide_video ? h("p", { class: "muted" }, t("sh.blind")) : null,
    msg,
    ...candidates,
  );
}

/** A link for a named email: the guest asks for the confirmation link to be emailed. */
function confirmationPage(token: string, msg: HTMLElement): HTMLElement {
  const email = h("input", { type: "email", name: "email", required: true, maxlength: "254", autocomplete: "email" });
  const form = h("form", {}, h("label", {}, `${t("email")} `, email), h("button", { type: "submit", class: "primary" }, t("sh.confirmSend")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const r = await api.POST("/api/v1/shared/{token}/confirmation", { params: { path: { token } }, body: { email: email.value } });
    if (r.error) return showError(msg, r.error);
    showOk(msg, t("sh.confirmSent"));
  });
  return page(t("sh.confirmTitle"), t("sh.confirmLead"), form, msg);
}
