// The candidates table's search, filters and order, kept in the page's URL query so a reload,
// a shared link or "back" from a candidate shows the same list. Pure: no DOM, no requests.
import type { operations } from "./api/schema";

export type ListQuery = NonNullable<operations["ApiV1InterviewsInterviewIdCandidatesListCandidates"]["parameters"]["query"]>;
export type Status = NonNullable<ListQuery["status"]>;
export type DecisionFilter = NonNullable<ListQuery["decision"]>;
export type Sort = NonNullable<ListQuery["sort"]>;

export const STATUSES: readonly Status[] = ["invited", "opened", "in_progress", "completed", "expired", "revoked"];
export const DECISIONS: readonly DecisionFilter[] = ["advance", "hold", "reject", "none"];
export const SORTS: readonly Sort[] = ["newest", "name", "score", "completed"];

export interface CandidateQuery {
  q: string;
  status: Status | null;
  decision: DecisionFilter | null;
  scoreMin: number | null; // the LLM score's range, 1-5 (the local coverage has no score)
  scoreMax: number | null;
  sort: Sort;
}

export const EMPTY: CandidateQuery = { q: "", status: null, decision: null, scoreMin: null, scoreMax: null, sort: "newest" };

// URL names; short and stable, as people share these links.
const KEYS = { q: "q", status: "status", decision: "decision", scoreMin: "score_min", scoreMax: "score_max", sort: "sort" } as const;

function oneOf<T extends string>(values: readonly T[], raw: string | null): T | null {
  return raw !== null && (values as readonly string[]).includes(raw) ? (raw as T) : null;
}

function score(raw: string | null): number | null {
  if (raw === null || raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 1 && n <= 5 ? n : null;
}

/** The state a URL query asks for; a value the API would refuse is left out, not an error. */
export function readQuery(params: URLSearchParams): CandidateQuery {
  let scoreMin = score(params.get(KEYS.scoreMin));
  let scoreMax = score(params.get(KEYS.scoreMax));
  if (scoreMin !== null && scoreMax !== null && scoreMin > scoreMax) [scoreMin, scoreMax] = [scoreMax, scoreMin];
  return {
    q: (params.get(KEYS.q) ?? "").slice(0, 200),
    status: oneOf(STATUSES, params.get(KEYS.status)),
    decision: oneOf(DECISIONS, params.get(KEYS.decision)),
    scoreMin,
    scoreMax,
    sort: oneOf(SORTS, params.get(KEYS.sort)) ?? "newest",
  };
}

/** ``params`` with the state written in (defaults left out); other parameters are kept. */
export function writeQuery(state: CandidateQuery, params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(params);
  const set = (key: string, value: string | number | null, fallback: string | null = null) => {
    if (value === null || value === "" || String(value) === fallback) out.delete(key);
    else out.set(key, String(value));
  };
  set(KEYS.q, state.q.trim());
  set(KEYS.status, state.status);
  set(KEYS.decision, state.decision);
  set(KEYS.scoreMin, state.scoreMin);
  set(KEYS.scoreMax, state.scoreMax);
  set(KEYS.sort, state.sort, "newest");
  return out;
}

/** The list endpoint's query for a page of ``state`` after ``cursor``. */
export function apiQuery(state: CandidateQuery, limit: number, cursor: string | null): ListQuery {
  const q = state.q.trim();
  return {
    limit,
    sort: state.sort,
    ...(cursor ? { cursor } : {}),
    ...(q ? { q } : {}),
    ...(state.status ? { status: state.status } : {}),
    ...(state.decision ? { decision: state.decision } : {}),
    ...(state.scoreMin !== null ? { score_min: state.scoreMin } : {}),
    ...(state.scoreMax !== null ? { score_max: state.scoreMax } : {}),
  };
}

/** Whether anything narrows the list (an empty table then says "no match", not "none yet"). */
export function isFiltered(state: CandidateQuery): boolean {
  return state.q.trim() !== "" || state.status !== null || state.decision !== null || state.scoreMin !== null || state.scoreMax !== null;
}

/** Calls ``fn`` once ``ms`` after the last call (a search box asks once typing pauses). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
