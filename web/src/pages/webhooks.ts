// Webhook endpoints: register (URL and events), see the signing secret, every delivery with its
// attempts, send a test event, redeliver, enable or disable, remove.
import { api, type Schemas } from "../api/client";
import { field, formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { type PagedList, pagedList } from "../paging";
import { button, input, page, showError, showOk, status, submitWith } from "../ui";

const EVENTS = ["invitation.created", "invitation.opened", "interview.completed", "answer.recorded", "transcript.ready", "evaluation.ready", "candidate.decided"] as const;
type Endpoint = Schemas["EndpointOut"];
const DELIVERIES_PAGE = 25;

function deliveryRow(d: Schemas["DeliveryOut"], msg: HTMLElement, reload: () => Promise<void>): HTMLElement {
  const tries = d.attempt_log.map((a) => `${formatDate(a.at, locale())}: ${a.status_code ?? "—"}${a.error ? ` (${a.error})` : ""}`);
  return h(
    "tr",
    { "data-delivery": d.id },
    h("td", {}, h("code", {}, d.event_type), h("br"), h("span", { class: "muted" }, d.event_id)),
    h("td", {}, t(`wh.status.${d.status}`), d.status === "pending" && d.attempts ? h("span", { class: "muted" }, ` · ${t("wh.next", { date: formatDate(d.next_attempt_at, locale()) })}`) : null),
    h("td", {}, h("details", {}, h("summary", {}, t("wh.attempts", { n: d.attempts })), h("ul", { class: "plain muted" }, ...tries.map((x) => h("li", {}, x))))),
    h(
      "td",
      {},
      button(t("wh.redeliver"), {
        class: "link",
        onclick: async () => {
          const { error } = await api.POST("/api/v1/webhooks/deliveries/{delivery_id}/redeliver", { params: { path: { delivery_id: d.id } } });
          if (error) showError(msg, error);
          else {
            showOk(msg, t("wh.queued"));
            await reload();
          }
        },
      }),
    ),
  );
}

function endpointCard(e: Endpoint, msg: HTMLElement, reloadAll: () => Promise<void>): HTMLElement {
  const rows = h("tbody");
  const path = { params: { path: { endpoint_id: e.id } } };
  // Deliveries page with the API's cursor, newest first ("Show more" for older ones).
  const loadDeliveries = (): Promise<void> => deliveries.reload();
  const deliveries: PagedList = pagedList(
    rows,
    async (cursor) => {
      const { data, error } = await api.GET("/api/v1/webhooks/{endpoint_id}/deliveries", { params: { path: { endpoint_id: e.id }, query: { limit: DELIVERIES_PAGE, ...(cursor ? { cursor } : {}) } } });
      if (error) showError(msg, error);
      return data;
    },
    (d) => deliveryRow(d, msg, loadDeliveries),
    () => h("tr", {}, h("td", { colspan: "4", class: "muted" }, t("wh.noDeliveries"))),
  );
  void loadDeliveries();
  const toggle = e.status === "active" ? "disabled" : "active";
  return h(
    "section",
    { class: "card", "data-endpoint": e.url },
    h("h3", {}, e.url, " ", h("span", { class: `tag status-${e.status}` }, t(`wh.endpoint.${e.status}`))),
    e.description ? h("p", {}, e.description) : null,
    e.disabled_reason ? h("p", { class: "status error" }, e.disabled_reason) : null,
    h("p", { class: "muted" }, e.events.join(", ")),
    h("p", {}, t("wh.secret"), " ", h("code", { class: "secret" }, e.secret)),
    h(
      "p",
      {},
      button(t("wh.test"), {
        onclick: async () => {
          const { error } = await api.POST("/api/v1/webhooks/{endpoint_id}/test", path);
          if (error) showError(msg, error);
          else {
            showOk(msg, t("wh.queued"));
            setTimeout(loadDeliveries, 1500);
          }
        },
      }),
      " ",
      button(t(toggle === "active" ? "wh.enable" : "wh.disable"), {
        onclick: async () => {
          const { error } = await api.PATCH("/api/v1/webhooks/{endpoint_id}", { ...path, body: { status: toggle } });
          if (error) showError(msg, error);
          else await reloadAll();
        },
      }),
      " ",
      button(t("wh.delete"), {
        class: "danger",
        onclick: async () => {
          if (!confirm(t("wh.confirmDelete", { url: e.url }))) return;
          const { error } = await api.DELETE("/api/v1/webhooks/{endpoint_id}", path);
          if (error) showError(msg, error);
          else await reloadAll();
        },
      }),
      " ",
      button(t("wh.refresh"), { class: "link", onclick: loadDeliveries }),
    ),
    h("table", {}, h("thead", {}, h("tr", {}, ...[t("wh.event"), t("wh.state"), t("wh.tries"), ""].map((c) => h("th", { scope: "col" }, c)))), rows),
    deliveries.more,
  );
}

export async function webhooks(): Promise<HTMLElement> {
  const msg = status();
  const list = h("div");
  const load = async () => {
    const { data, error } = await api.GET("/api/v1/webhooks");
    if (error) return showError(msg, error);
    list.replaceChildren(...(data!.items.length ? data!.items.map((e) => endpointCard(e, msg, load)) : [h("p", { class: "muted" }, t("wh.none"))]));
  };
  const events = h(
    "div",
    { class: "field", role: "group", "aria-label": t("wh.events") },
    h("span", { class: "label" }, t("wh.events")),
    ...EVENTS.map((e) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "event", value: e, checked: e === "interview.completed" }), h("code", {}, e))),
  );
  const form = h(
    "form",
    {},
    h(
      "fieldset",
      {},
      field(t("wh.url"), input("url", "url", { placeholder: "https://example.com/fairview" })),
      field(t("wh.description"), input("description", "text", { maxlength: 200, required: false })),
      events,
      h("button", { type: "submit", class: "primary" }, t("wh.add")),
    ),
  );
  submitWith(
    form,
    msg,
    (v) => {
      const chosen = [...form.querySelectorAll<HTMLInputElement>("input[name=event]:checked")].map((i) => i.value as (typeof EVENTS)[number]);
      return api.POST("/api/v1/webhooks", { body: { url: v.url!, description: v.description ?? "", events: chosen } });
    },
    async () => {
      form.reset();
      showOk(msg, t("wh.added"));
      await load();
    },
  );
  await load();
  return page(t("wh.title"), t("wh.lead"), form, msg, list);
}
