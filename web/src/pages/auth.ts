// Pages reached without a session: log in, sign up, password reset, email verification, invitations.
import { api, type Me } from "../api/client";
import { field, h } from "../dom";
import { t } from "../i18n";
import { navigate } from "../router";
import { setCurrent } from "../session";
import { input, page, showError, showOk, status, submitWith } from "../ui";

function loggedIn(me: Me | undefined): void {
  setCurrent(me ?? null);
  navigate("/interviews", true);
}

export function login(): HTMLElement {
  const msg = status();
  const form = h(
    "form",
    { novalidate: false },
    h(
      "fieldset",
      {},
      field(t("email"), input("email", "email", { autocomplete: "username" })),
      field(t("password"), input("password", "password", { autocomplete: "current-password" })),
      h("button", { type: "submit", class: "primary" }, t("login.submit")),
    ),
  );
  submitWith(form, msg, (v) => api.POST("/api/v1/auth/login", { body: { email: v.email!, password: v.password! } }), loggedIn);
  return page(
    t("login.title"),
    null,
    form,
    msg,
    h("p", {}, h("a", { href: "/forgot-password" }, t("login.forgot"))),
    h("p", {}, t("login.noAccount"), " ", h("a", { href: "/signup" }, t("login.signup"))),
  );
}

export function signup(): HTMLElement {
  const msg = status();
  const form = h(
    "form",
    {},
    h(
      "fieldset",
      {},
      field(t("signup.org"), input("organization_name", "text", { autocomplete: "organization", maxlength: 200 })),
      field(t("name"), input("name", "text", { autocomplete: "name", maxlength: 200 })),
      field(t("email"), input("email", "email", { autocomplete: "email" })),
      field(
        t("password"),
        input("password", "password", { autocomplete: "new-password", minlength: 10 }),
        t("signup.passwordHint"),
      ),
      h("button", { type: "submit", class: "primary" }, t("signup.submit")),
    ),
  );
  submitWith(
    form,
    msg,
    (v) =>
      api.POST("/api/v1/auth/signup", {
        body: {
          organization_name: v.organization_name!,
          name: v.name!,
          email: v.email!,
          password: v.password!,
          locale: document.documentElement.lang === "ru" ? "ru" : "en",
        },
      }),
    // The same answer whether or not the address has an account: the email says the rest.
    (accepted) => {
      form.hidden = true;
      showOk(msg, t("signup.checkEmail", { email: accepted?.email ?? "" }));
    },
  );
  return page(
    t("signup.title"),
    t("signup.lead"),
    form,
    msg,
    h("p", {}, t("signup.haveAccount"), " ", h("a", { href: "/login" }, t("login.submit"))),
  );
}

export function forgotPassword(): HTMLElement {
  const msg = status();
  const form = h(
    "form",
    {},
    h(
      "fieldset",
      {},
      field(t("email"), input("email", "email", { autocomplete: "email" })),
      h("button", { type: "submit", class: "primary" }, t("forgot.submit")),
    ),
  );
  let email = "";
  submitWith(
    form,
    msg,
    (v) => {
      email = v.email!;
      return api.POST("/api/v1/auth/password-reset", { body: { email } });
    },
    () => showOk(msg, t("forgot.sent", { email })),
  );
  return page(t("forgot.title"), t("forgot.lead"), form, msg);
}

export function resetPassword(query: URLSearchParams): HTMLElement {
  const token = query.get("token");
  const msg = status();
  if (!token) {
    showError(msg, { detail: t("reset.missing") });
    return page(t("reset.title"), null, msg);
  }
  const form = h(
    "form",
    {},
    h(
      "fieldset",
      {},
      field(
        t("password"),
        input("password", "password", { autocomplete: "new-password", minlength: 10 }),
        t("signup.passwordHint"),
      ),
      h("button", { type: "submit", class: "primary" }, t("reset.submit")),
    ),
  );
  submitWith(form, msg, (v) => api.POST("/api/v1/auth/password-reset/confirm", { body: { token, password: v.password! } }), loggedIn);
  return page(t("reset.title"), null, form, msg);
}

export async function verifyEmail(query: URLSearchParams): Promise<HTMLElement> {
  const msg = status();
  const token = query.get("token") ?? "";
  // The link was mailed to the address, so opening it also logs in.
  const { data, error } = await api.POST("/api/v1/auth/verify-email", { body: { token } });
  if (error) showError(msg, error);
  else {
    setCurrent(data ?? null);
    showOk(msg, t("verify.ok"));
  }
  const next = error ? "/login" : "/interviews";
  return page(t("verify.title"), null, msg, h("p", {}, h("a", { href: next, class: "button" }, t("verify.continue"))));
}

export async function acceptInvite(query: URLSearchParams): Promise<HTMLElement> {
  const token = query.get("token") ?? "";
  const msg = status();
  const preview = await api.GET("/api/v1/team-invitations/preview", { params: { query: { token } } });
  if (preview.error || !preview.data) {
    showError(msg, preview.error);
    return page(t("invite.title", { org: "" }).trim(), null, msg, h("p", {}, h("a", { href: "/login" }, t("login.submit"))));
  }
  const inv = preview.data;
  const fields = inv.account_exists
    ? [h("p", {}, t("invite.existing")), field(t("password"), input("password", "password", { autocomplete: "current-password" }))]
    : [
        field(t("name"), input("name", "text", { autocomplete: "name" })),
        field(t("password"), input("password", "password", { autocomplete: "new-password", minlength: 10 }), t("signup.passwordHint")),
      ];
  const form = h("form", {}, h("fieldset", {}, ...fields, h("button", { type: "submit", class: "primary" }, t("invite.submit"))));
  submitWith(
    form,
    msg,
    (v) => api.POST("/api/v1/team-invitations/accept", { body: { token, password: v.password!, name: v.name ?? null } }),
    loggedIn,
  );
  return page(
    t("invite.title", { org: inv.organization_name }),
    t("invite.lead", { role: t(`role.${inv.role}`), email: inv.email }),
    form,
    msg,
  );
}
