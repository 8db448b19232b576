import { describe, expect, it } from "vitest";
import { describeError, readCookie } from "../src/api/client";
import { h } from "../src/dom";
import { match, type Route } from "../src/router";

describe("api client helpers", () => {
  it("reads the CSRF cookie among others", () => {
    expect(readCookie("fairview_csrf", "a=1; fairview_csrf=abc%3D; b=2")).toBe("abc=");
    expect(readCookie("fairview_csrf", "a=1")).toBeNull();
  });

  it("turns API errors into messages", () => {
    expect(describeError({ error: "email_taken", detail: "Log in instead." }, "x")).toBe("Log in instead.");
    expect(
      describeError({ error: "validation_error", detail: "bad", fields: [{ key: "email", message: "too short" }] }, "x"),
    ).toBe("email: too short");
    expect(describeError(undefined, "fallback")).toBe("fallback");
  });
});

describe("dom and routing", () => {
  it("sets text as text, never as HTML", () => {
    const el = h("p", { class: "x", hidden: false }, "<img src=x onerror=alert(1)>");
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toBe("<img src=x onerror=alert(1)>");
    expect(el.hasAttribute("hidden")).toBe(false);
  });

  it("matches paths with or without a trailing slash, and parameters", () => {
    const routes: Route[] = [
      { path: "/team", render: () => h("div") },
      { path: "/", render: () => h("div") },
      { path: "/interviews/:id", render: () => h("div") },
    ];
    expect(match(routes, "/team/")?.route.path).toBe("/team");
    expect(match(routes, "/")?.route.path).toBe("/");
    expect(match(routes, "/interviews/abc%20d")?.params).toEqual({ id: "abc d" });
    expect(match(routes, "/interviews/")).toBeUndefined();
    expect(match(routes, "/nope")).toBeUndefined();
  });
});
