import { describe, expect, it } from "vitest";
import { type Page, pagedList } from "../src/paging";

// A server's list of ``n`` rows, paged ``size`` at a time; its cursor is the next index.
function server(n: number, size: number) {
  const rows = Array.from({ length: n }, (_, i) => `r${i}`);
  const calls: (string | null)[] = [];
  const fetchPage = async (cursor: string | null): Promise<Page<string>> => {
    calls.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    const end = start + size;
    return { items: rows.slice(start, end), next_cursor: end < rows.length ? String(end) : null };
  };
  return { rows, calls, fetchPage };
}

const li = (s: string) => Object.assign(document.createElement("li"), { textContent: s });
const none = () => Object.assign(document.createElement("li"), { textContent: "none" });
const texts = (el: HTMLElement) => [...el.children].map((c) => c.textContent);

describe("a list paged by cursor", () => {
  it("shows one page, then appends the next until the cursor ends", async () => {
    const s = server(5, 2);
    const ul = document.createElement("ul");
    const list = pagedList(ul, s.fetchPage, li, none);
    await list.reload();
    expect(texts(ul)).toEqual(["r0", "r1"]);
    expect(list.more.hidden).toBe(false);
    await list.showMore();
    expect(texts(ul)).toEqual(["r0", "r1", "r2", "r3"]);
    await list.showMore();
    expect(texts(ul)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect(list.more.hidden).toBe(true);
    expect(s.calls).toEqual([null, "2", "4"]);
  });

  it("reloads as many rows as were shown, with the server's changes", async () => {
    const s = server(5, 2);
    const ul = document.createElement("ul");
    const list = pagedList(ul, s.fetchPage, li, none);
    await list.reload();
    await list.showMore();
    s.rows.unshift("new");
    await list.reload();
    expect(texts(ul)).toEqual(["new", "r0", "r1", "r2"]);
    expect(list.more.hidden).toBe(false);
  });

  it("asks for the next page when Show more is pressed", async () => {
    const s = server(3, 2);
    const list = pagedList(document.createElement("ul"), s.fetchPage, li, none);
    await list.reload();
    list.more.click();
    expect(s.calls).toEqual([null, "2"]);
  });

  it("says when there is nothing, and keeps the rows when a page fails", async () => {
    const ul = document.createElement("ul");
    const list = pagedList(ul, server(0, 2).fetchPage, li, none);
    await list.reload();
    expect(texts(ul)).toEqual(["none"]);
    expect(list.more.hidden).toBe(true);
    const s = server(3, 2);
    let fail = false;
    const flaky = pagedList(ul, async (c) => (fail ? undefined : s.fetchPage(c)), li, none);
    await flaky.reload();
    fail = true;
    await flaky.reload();
    expect(texts(ul)).toEqual(["r0", "r1"]);
  });
});
