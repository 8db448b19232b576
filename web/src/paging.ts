// A list that pages with the API's cursor: one page at first, "Show more" appends the next, and
// a reload after an action shows as many rows as before (so inviting someone does not collapse
// a list the reader had opened up to 150 rows).
import { h } from "./dom";
import { t } from "./i18n";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null; // null (or absent): the last page
}

export interface PagedList {
  more: HTMLButtonElement; // "Show more": place it after the list
  showMore: () => Promise<void>; // what the button does
  reload: () => Promise<void>;
}

/** Rows of ``fetchPage`` in ``into``, each made by ``row``; ``empty`` stands in for none.
 * ``fetchPage`` shows its own error and answers undefined; the list then stays as it was. */
export function pagedList<T>(
  into: HTMLElement,
  fetchPage: (cursor: string | null) => Promise<Page<T> | undefined>,
  row: (item: T) => Node,
  empty: () => Node,
): PagedList {
  let cursor: string | null = null;
  let shown = 0;
  // A reload started after a "Show more" wins: the older answer is dropped.
  let generation = 0;
  const more = h("button", { type: "button", class: "show-more", hidden: true }, t("list.more"));

  async function next(): Promise<void> {
    const mine = generation;
    more.disabled = true;
    const page = await fetchPage(cursor);
    more.disabled = false;
    if (!page || mine !== generation) return;
    into.append(...page.items.map(row));
    shown += page.items.length;
    cursor = page.next_cursor ?? null;
    more.hidden = cursor === null;
  }

  async function reload(): Promise<void> {
    const mine = ++generation;
    const want = shown;
    const rows: Node[] = [];
    let after: string | null = null;
    do {
      const page = await fetchPage(after);
      if (!page || mine !== generation) return;
      rows.push(...page.items.map(row));
      after = page.next_cursor ?? null;
    } while (after !== null && rows.length < want);
    into.replaceChildren(...(rows.length ? rows : [empty()]));
    shown = rows.length;
    cursor = after;
    more.hidden = cursor === null;
  }

  more.addEventListener("click", () => void next());
  return { more, showMore: next, reload };
}
