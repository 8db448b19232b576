import { describe, expect, it, vi } from "vitest";
import { apiQuery, debounce, EMPTY, isFiltered, readQuery, writeQuery } from "../src/candidateQuery";

describe("the candidates table's URL state", () => {
  it("reads what the URL asks for and leaves out what the API would refuse", () => {
    const state = readQuery(new URLSearchParams("q=ada&status=completed&decision=none&score_min=3.5&sort=score"));
    expect(state).toEqual({ q: "ada", status: "completed", decision: "none", scoreMin: 3.5, scoreMax: null, sort: "score" });
    const bad = readQuery(new URLSearchParams("status=hired&decision=maybe&score_min=9&score_max=x&sort=coverage"));
    expect(bad).toEqual(EMPTY);
  });

  it("swaps a reversed score range", () => {
    const state = readQuery(new URLSearchParams("score_min=4&score_max=2"));
    expect([state.scoreMin, state.scoreMax]).toEqual([2, 4]);
  });

  it("writes only what differs from the defaults and keeps other parameters", () => {
    const out = writeQuery({ ...EMPTY, q: "  lee ", decision: "advance", sort: "name" }, new URLSearchParams("tab=x&status=opened"));
    expect(out.toString()).toBe("tab=x&q=lee&decision=advance&sort=name");
    expect(writeQuery(EMPTY, new URLSearchParams("q=old&sort=score")).toString()).toBe("");
  });

  it("round-trips through the URL", () => {
    const state = { q: "o'brien & co", status: "in_progress" as const, decision: "reject" as const, scoreMin: 1, scoreMax: 4.5, sort: "completed" as const };
    expect(readQuery(writeQuery(state, new URLSearchParams()))).toEqual(state);
  });

  it("asks the API for exactly the filters set", () => {
    expect(apiQuery(EMPTY, 50, null)).toEqual({ limit: 50, sort: "newest" });
    expect(apiQuery({ ...EMPTY, q: " ada ", scoreMax: 3, status: "invited" }, 20, "abc")).toEqual({ limit: 20, sort: "newest", cursor: "abc", q: "ada", status: "invited", score_max: 3 });
  });

  it("knows when the list is narrowed (the order alone does not narrow it)", () => {
    expect(isFiltered({ ...EMPTY, sort: "score" })).toBe(false);
    expect(isFiltered({ ...EMPTY, q: "   " })).toBe(false);
    expect(isFiltered({ ...EMPTY, scoreMin: 2 })).toBe(true);
  });
});

describe("debounce", () => {
  it("calls once, with the last arguments, after the pause", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const typed = debounce(fn, 300);
    typed("a");
    typed("ad");
    vi.advanceTimersByTime(299);
    typed("ada");
    vi.advanceTimersByTime(299);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledExactlyOnceWith("ada");
    vi.useRealTimers();
  });
});
