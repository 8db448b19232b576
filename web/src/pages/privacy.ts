// Data requests for admins: candidates' requests for a copy of their data or its erasure (with
// the due date, 30 days after the request), erasing now, recording a request made another way,
// and the organization's retention schedule with a preview of what the next run removes.
import { api, type Schemas } from "../api/client";
import { formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { button, page, showError, showOk, status } from "../ui";

export async function privacy(): Promise<HTMLElement> {
  const msg = status();
  const rows = h("tbody");
  async function load(): Promise<void> {
    const r = await api.GET("/api/v1/privacy/requests");
    if (r.error) return showError(msg, r.error);
    rows.replaceChildren(
      ...r.data!.items.map((x: Schemas["DataRequest"]) => {
        const now =
          x.status === "pending" && x.kind !== "export"
            ? button(t("pv.eraseNow"), {
                onclick: async () => {
                  if (!confirm(t("pv.confirm"))) return;
                  const e = await api.POST("/api/v1/privacy/requests/{request_id}/erase-now", { params: { path: { request_id: x.id } } });
                  if (e.error) return showError(msg, e.error);
                  showOk(msg, t("pv.queued"));
                  await load();
                },
              })
            : null;
        const receipt = x.receipt
          ? h("details", {}, h("summary", {}, t("pv.receipt")), h("ul", {}, ...x.receipt.items.filter((i) => i.count).map((i) => h("li", {}, `${i.what}: ${i.count} ${i.action} (${i.where})`))))
          : null;
        return h(
          "tr",
          {},
          h("td", {}, h("a", { href: `/candidates/${x.candidate_id}` }, x.candidate)),
          h("td", {}, t(`pv.kind.${x.kind}` as "pv.kind.export")),
          h("td", {}, x.source),
          h("td", {}, formatDate(x.created_at, locale())),
          h("td", {}, formatDate(x.due_at, locale())),
          h("td", {}, x.status, x.last_error ? ` — ${x.last_error}` : ""),
          h("td", {}, now, receipt),
        );
      }),
    );
  }
  await load();

  const candidate = h("input", { id: "pv-candidate", type: "text", placeholder: "candidate id" });
  const kind = h("select", { id: "pv-kind" }, h("option", { value: "erasure" }, t("pv.kind.erasure")), h("option", { value: "export" }, t("pv.kind.export")));
  const note = h("input", { id: "pv-note", type: "text", maxlength: 2000 });
  const record = h("form", { class: "filters" }, h("label", { for: "pv-candidate" }, t("pv.candidate")), candidate, h("label", { for: "pv-kind" }, t("pv.kindLabel")), kind, h("label", { for: "pv-note" }, t("pv.note")), note, h("button", { type: "submit" }, t("pv.record")));
  record.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await api.POST("/api/v1/privacy/requests", {
      body: { candidate_id: (candidate as HTMLInputElement).value.trim(), kind: (kind as HTMLSelectElement).value as "erasure" | "export", note: (note as HTMLInputElement).value },
    });
    if (r.error) return showError(msg, r.error);
    showOk(msg, t("saved"));
    await load();
  });

  const current = (await api.GET("/api/v1/privacy/retention")).data;
  const basis = h("select", { id: "rt-basis" }, h("option", { value: "completion" }, t("pv.basis.completion")), h("option", { value: "decision" }, t("pv.basis.decision")));
  (basis as HTMLSelectElement).value = current?.basis ?? "completion";
  const media = h("input", { id: "rt-media", type: "number", min: 1, value: current?.media_days ?? "" });
  const data = h("input", { id: "rt-data", type: "number", min: 1, value: current?.data_days ?? "" });
  const preview = h("ul");
  async function showPreview(): Promise<void> {
    const r = await api.GET("/api/v1/privacy/retention/preview");
    if (r.error) return showError(msg, r.error);
    const items = r.data!.items;
    preview.replaceChildren(...(items.length ? items.map((i) => h("li", {}, h("a", { href: `/candidates/${i.candidate_id}` }, i.candidate_id.slice(0, 8)), ` — ${t(`pv.scope.${i.scope}` as "pv.scope.all")}`)) : [h("li", { class: "muted" }, t("ov.none"))]));
  }
  const days = (el: Element): number | null => ((el as HTMLInputElement).value ? Number((el as HTMLInputElement).value) : null);
  const retention = h("form", { class: "filters" }, h("label", { for: "rt-basis" }, t("pv.basis")), basis, h("label", { for: "rt-media" }, t("pv.mediaDays")), media, h("label", { for: "rt-data" }, t("pv.dataDays")), data, h("button", { type: "submit" }, t("pv.save")));
  retention.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await api.PUT("/api/v1/privacy/retention", {
      body: { basis: (basis as HTMLSelectElement).value as "completion" | "decision", media_days: days(media), data_days: days(data) },
    });
    if (r.error) return showError(msg, r.error);
    showOk(msg, t("saved"));
    await showPreview();
  });
  await showPreview();

  return page(
    t("pv.title"),
    t("pv.lead"),
    msg,
    h("section", { class: "card" }, h("h2", {}, t("pv.requests")), h("div", { class: "table-scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ...[t("pv.candidate"), t("pv.kindLabel"), t("pv.source"), t("pv.asked"), t("pv.due"), t("pv.status"), ""].map((c) => h("th", { scope: "col" }, c)))), rows))),
    h("section", { class: "card" }, h("h2", {}, t("pv.recordTitle")), record),
    h("section", { class: "card" }, h("h2", {}, t("pv.retention")), retention, h("h3", {}, t("pv.preview")), preview),
  );
}
