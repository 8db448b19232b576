// Shared pieces of the pages: page frame, status messages, forms that submit to the API.
import { describeError } from "./api/client";
import { h } from "./dom";
import { t } from "./i18n";

export function page(title: string, lead: string | null, ...body: (Node | null)[]): HTMLElement {
  return h(
    "section",
    { class: "page" },
    h("h1", { tabindex: "-1" }, title),
    lead ? h("p", { class: "lead" }, lead) : null,
    ...body,
  );
}

export function status(): HTMLElement {
  return h("p", { class: "status", role: "status", "aria-live": "polite" });
}

export function showError(target: HTMLElement, error: unknown): void {
  target.className = "status error";
  target.setAttribute("role", "alert");
  target.textContent = describeError(error, t("genericError"));
}

export function showOk(target: HTMLElement, message: string): void {
  target.className = "status ok";
  target.setAttribute("role", "status");
  target.textContent = message;
}

/**
 * Wires a form: disables it while the call runs, shows the API's error in `statusEl`,
 * and calls `done` with the data when the call succeeds.
 */
export function submitWith<T>(
  form: HTMLFormElement,
  statusEl: HTMLElement,
  call: (values: Record<string, string>) => Promise<{ data?: T; error?: unknown }>,
  done: (data: T | undefined) => void | Promise<void>,
): void {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Read the values before disabling: disabled controls are left out of FormData.
    const values: Record<string, string> = {};
    new FormData(form).forEach((v, k) => (values[k] = String(v)));
    const fieldset = form.querySelector("fieldset");
    if (fieldset) fieldset.disabled = true;
    form.setAttribute("aria-busy", "true");
    statusEl.textContent = "";
    try {
      const { data, error } = await call(values);
      if (error !== undefined) showError(statusEl, error);
      else await done(data);
    } catch {
      showError(statusEl, { detail: t("networkError") });
    } finally {
      if (fieldset) fieldset.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
}

export function input(name: string, type = "text", attrs: Record<string, unknown> = {}) {
  return h("input", { name, type, required: true, ...attrs });
}

export function button(label: string, attrs: Record<string, unknown> = {}) {
  return h("button", { type: "button", ...attrs }, label);
}
