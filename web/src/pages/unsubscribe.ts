// Opened from a team email's unsubscribe link: no sign-in, one click to stop that kind of
// email, and a way back. Opening the page changes nothing (link scanners open links too).
import { api, type Schemas } from "../api/client";
import { h } from "../dom";
import { t } from "../i18n";
import { button, page, showError, status } from "../ui";

type Info = Schemas["UnsubscribeInfo"];

export async function unsubscribe(query: URLSearchParams): Promise<HTMLElement> {
  const token = query.get("token");
  const msg = status();
  if (!token) return page(t("unsub.title"), t("unsub.missing"));
  const body = h("div", {});
  const show = (info: Info, changed: boolean) => {
    const vars = { what: t(`unsub.${info.kind}`), organization: info.organization, email: info.email };
    const call = (path: "/api/v1/email-preferences/unsubscribe" | "/api/v1/email-preferences/resubscribe") => async () => {
      const r = await api.POST(path, { params: { query: { token } } });
      if (r.error) showError(msg, r.error);
      else show(r.data!, true);
    };
    body.replaceChildren(
      info.subscribed
        ? h("p", {}, t(changed ? "unsub.subscribed" : "unsub.confirm", vars))
        : h("p", { role: "status" }, t("unsub.done", vars)),
      info.subscribed
        ? button(t("unsub.submit"), { class: "primary", onclick: call("/api/v1/email-preferences/unsubscribe") })
        : button(t("unsub.undo"), { onclick: call("/api/v1/email-preferences/resubscribe") }),
    );
  };
  const { data, error } = await api.GET("/api/v1/email-preferences/unsubscribe", { params: { query: { token } } });
  if (error) showError(msg, error);
  else show(data, false);
  return page(t("unsub.title"), null, body, msg);
}
