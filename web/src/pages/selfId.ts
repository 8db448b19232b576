// The voluntary self-identification on the candidate's completion page: offered only after the
// interview, every question optional with "prefer not to say", and a Skip that saves nothing.
// The answers are never read back (not even here): the page only knows whether they exist.
import { api } from "../api/client";
import { h } from "../dom";
import { type MessageKey, t } from "../i18n";
import { showError, showOk, status } from "../ui";

const SEX = ["female", "male", "prefer_not_to_say"] as const;
const RACE = ["hispanic_latino", "white", "black", "native_hawaiian_pacific_islander", "asian", "native_american_alaska_native", "two_or_more", "prefer_not_to_say"] as const;
type Sex = (typeof SEX)[number];
type Race = (typeof RACE)[number];

function choices(name: string, legend: string, values: readonly string[]): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, legend),
    ...values.map((v) =>
      h("div", { class: "check-row" }, h("input", { type: "radio", name, value: v, id: `si-${name}-${v}` }), h("label", { for: `si-${name}-${v}` }, t(`fx.cat.${v}` as MessageKey))),
    ),
  );
}

export async function selfIdentification(token: string, org: string | null): Promise<HTMLElement> {
  const headers = { Authorization: `Bearer ${token}` };
  const path = "/api/v1/candidate/self-identification";
  const msg = status();
  const body = h("div");
  const card = h("section", { class: "card self-id", "aria-labelledby": "si-title" }, h("h2", { id: "si-title" }, t("si.title")), body, msg);

  function answered(): void {
    const change = h("button", { type: "button", onclick: () => form() }, t("si.change"));
    const withdraw = h("button", {
      type: "button",
      onclick: async () => {
        const r = await api.DELETE(path, { headers });
        if (r.error) return showError(msg, r.error);
        showOk(msg, t("si.withdrawn"));
        form();
      },
    }, t("si.withdraw"));
    body.replaceChildren(h("p", {}, t("si.answered")), h("div", { class: "actions" }, change, withdraw));
  }

  function form(): void {
    const f = h(
      "form",
      {},
      h("p", {}, t("si.lead", { org: org ?? "" })),
      h("p", { class: "muted" }, t("si.private")),
      choices("sex", t("si.sex"), SEX),
      choices("race", t("si.race"), RACE),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, t("si.submit")),
        h("button", { type: "button", onclick: () => (body.replaceChildren(), showOk(msg, t("si.skipped"))) }, t("si.skip")),
      ),
    );
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(f);
      const sex = data.get("sex") as Sex | null;
      const race = data.get("race") as Race | null;
      const r = await api.PUT(path, { headers, body: { ...(sex ? { sex } : {}), ...(race ? { race } : {}) } });
      if (r.error) return showError(msg, r.error);
      if (r.data?.answered) {
        showOk(msg, t("si.saved"));
        answered();
      } else {
        body.replaceChildren();
        showOk(msg, t("si.skipped"));
      }
    });
    body.replaceChildren(f);
  }

  const { data } = await api.GET(path, { headers });
  if (!data?.available) return h("div");
  if (data.answered) answered();
  else form();
  return card;
}
