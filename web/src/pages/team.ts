// Team: members with roles, invitations by email, pending invitations (each list paged).
import { api, type Schemas } from "../api/client";
import { field, formatDate, h } from "../dom";
import { locale, t } from "../i18n";
import { pagedList } from "../paging";
import { canManage, current } from "../session";
import { button, input, page, showError, showOk, status, submitWith } from "../ui";

type Role = Schemas["MemberOut"]["role"];
const ROLES: Role[] = ["owner", "admin", "recruiter", "reviewer"];
const PAGE = 50;

function roleSelect(name: string, value: Role, options: Role[]): HTMLSelectElement {
  return h(
    "select",
    { name },
    ...options.map((r) => h("option", { value: r, selected: r === value, title: t(`role.${r}.desc`) }, t(`role.${r}`))),
  );
}

export async function team(): Promise<HTMLElement> {
  const me = current()!;
  const msg = status();
  const members = h("tbody");
  const pending = h("ul", { class: "plain" });
  const manager = canManage();

  // Both lists page with the API's cursor, 50 at a time ("Show more").
  const query = (cursor: string | null) => ({ params: { query: { limit: PAGE, ...(cursor ? { cursor } : {}) } } });
  const shown = <T>(r: { data?: T; error?: unknown }): T | undefined => {
    if (r.error) showError(msg, r.error);
    return r.data;
  };
  const memberList = pagedList(members, async (c) => shown(await api.GET("/api/v1/members", query(c))), memberRow, () => h("tr"));
  const pendingList = pagedList(pending, async (c) => shown(await api.GET("/api/v1/team-invitations", query(c))), invitationRow, () => h("li", { class: "muted" }, t("team.noPending")));
  async function load(): Promise<void> {
    await Promise.all([memberList.reload(), pendingList.reload()]);
  }

  function memberRow(m: Schemas["MemberOut"]): HTMLElement {
    const isMe = m.user_id === me.user.id;
    const assignable = me.role === "owner" ? ROLES : ROLES.filter((r) => r !== "owner");
    let roleCell: Node = document.createTextNode(t(`role.${m.role}`));
    if (manager && !isMe && (me.role === "owner" || m.role !== "owner")) {
      const select = roleSelect("role", m.role, assignable);
      select.setAttribute("aria-label", `${t("role")}: ${m.name}`);
      select.addEventListener("change", async () => {
        const { error } = await api.PATCH("/api/v1/members/{user_id}", {
          params: { path: { user_id: m.user_id } },
          body: { role: select.value as Role },
        });
        if (error) {
          showError(msg, error);
          select.value = m.role;
        } else showOk(msg, t("saved"));
      });
      roleCell = select;
    }
    const remove =
      isMe || (manager && (me.role === "owner" || m.role !== "owner"))
        ? button(isMe ? t("team.leave") : t("team.remove"), {
            class: "link danger",
            onclick: async () => {
              if (!confirm(t("team.confirmRemove", { name: m.name }))) return;
              const { error } = await api.DELETE("/api/v1/members/{user_id}", { params: { path: { user_id: m.user_id } } });
              if (error) return showError(msg, error);
              if (isMe) location.assign("/login");
              else await load();
            },
          })
        : null;
    return h(
      "tr",
      {},
      h(
        "td",
        {},
        h("strong", {}, m.name),
        isMe ? h("span", { class: "muted" }, ` (${t("team.you")})`) : null,
        h("br"),
        h("span", { class: "muted" }, m.email),
        m.email_verified ? null : h("span", { class: "tag" }, t("team.unverified")),
      ),
      h("td", {}, roleCell),
      h("td", {}, remove),
    );
  }

  function invitationRow(inv: Schemas["TeamInvitationOut"]): HTMLElement {
    const act = (label: string, run: () => Promise<{ error?: unknown }>) =>
      button(label, {
        class: "link",
        onclick: async () => {
          const { error } = await run();
          if (error) showError(msg, error);
          else {
            showOk(msg, t("saved"));
            await load();
          }
        },
      });
    const path = { params: { path: { invitation_id: inv.id } } };
    return h(
      "li",
      {},
      h("strong", {}, inv.email),
      ` · ${t(`role.${inv.role}`)} · `,
      h("span", { class: "muted" }, t("team.expires", { date: formatDate(inv.expires_at, locale()) })),
      manager ? h("span", { class: "row-actions" }, act(t("team.resend"), () => api.POST("/api/v1/team-invitations/{invitation_id}/resend", path)), act(t("team.revoke"), () => api.DELETE("/api/v1/team-invitations/{invitation_id}", path))) : null,
    );
  }

  let inviteForm: HTMLElement | null = null;
  if (manager) {
    const form = h(
      "form",
      { class: "inline" },
      h(
        "fieldset",
        {},
        h("legend", {}, t("team.invite")),
        field(t("email"), input("email", "email", { autocomplete: "off" })),
        field(t("role"), roleSelect("role", "recruiter", ["admin", "recruiter", "reviewer"])),
        h("button", { type: "submit", class: "primary" }, t("team.inviteSubmit")),
      ),
    );
    submitWith(
      form,
      msg,
      (v) => api.POST("/api/v1/team-invitations", { body: { email: v.email!, role: v.role as "admin" | "recruiter" | "reviewer" } }),
      async (inv) => {
        (form as HTMLFormElement).reset();
        showOk(msg, t("team.invited", { email: inv?.email ?? "" }));
        await load();
      },
    );
    inviteForm = form;
  }

  await load();
  return page(
    t("team.title"),
    t("team.lead", { org: me.organization.name }),
    inviteForm,
    msg,
    h("h2", {}, t("team.members")),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("team.member")), h("th", { scope: "col" }, t("role")), h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("actions"))))),
      members,
    ),
    memberList.more,
    h("h2", {}, t("team.pending")),
    pending,
    pendingList.more,
  );
}
