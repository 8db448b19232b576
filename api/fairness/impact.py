"""The adverse-impact arithmetic of the NYC Local Law 144 rules, pure (counts in, tables out).

For each stage a candidate is either selected or not: the human stage selects by an `advance`
decision (its population: completed candidates with a decision), the AI stage by an overall
score above the median of their interview (its population: completed candidates with an AI
score). Per category: rate = selected / count; impact ratio = rate / the highest rate among the
categories that are not excluded. A category under 2 % of the stage's candidates (unknown ones
included) is excluded from the ratios, as the rules allow, and listed with why. Candidates
without a category (not answered, preferred not to say) are counted as unknown, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from api.fairness import schemas as s

SEX = {"male": "Male", "female": "Female"}
RACE = {
    "hispanic_latino": "Hispanic or Latino",
    "white": "White",
    "black": "Black or African American",
    "native_hawaiian_pacific_islander": "Native Hawaiian or Pacific Islander",
    "asian": "Asian",
    "native_american_alaska_native": "Native American or Alaska Native",
    "two_or_more": "Two or more races",
}
EXCLUDE_UNDER = 0.02  # share of the stage's candidates under which a category may be excluded
SMALL_SAMPLE = 30  # fewer candidates than this in a category (or a stage) vary by chance
FOUR_FIFTHS = 0.8
DIGITS = 4


@dataclass(frozen=True)
class Cell:
    """Completed candidates of one (sex, race), None meaning unknown; from fairness_counts()."""

    sex: str | None
    race: str | None
    completed: int
    decided: int
    advanced: int
    scored: int
    above_median: int


def _stage_counts(cell: Cell, stage: s.Stage) -> tuple[int, int]:
    if stage == "selection":
        return cell.decided, cell.advanced
    return cell.scored, cell.above_median


def _categories(dimension: s.Dimension) -> list[tuple[str, str, tuple[str | None, str | None]]]:
    if dimension == "sex":
        return [(k, v, (k, None)) for k, v in SEX.items()]
    if dimension == "race":
        return [(k, v, (None, k)) for k, v in RACE.items()]
    return [
        (f"{sk}/{rk}", f"{sv} · {rv}", (sk, rk))
        for sk, sv in SEX.items()
        for rk, rv in RACE.items()
    ]


def _member(cell: Cell, key: tuple[str | None, str | None]) -> bool:
    sex, race = key
    return (sex is None or cell.sex == sex) and (race is None or cell.race == race)


def _known(cell: Cell, dimension: s.Dimension) -> bool:
    if dimension == "sex":
        return cell.sex is not None
    if dimension == "race":
        return cell.race is not None
    return cell.sex is not None and cell.race is not None


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "0 %"


def table(
    cells: list[Cell], stage: s.Stage, dimension: s.Dimension, total: int
) -> s.DimensionTable:
    counted = []
    for category, label, key in _categories(dimension):
        pairs = [_stage_counts(c, stage) for c in cells if _member(c, key)]
        count, selected = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        excluded = None
        if count == 0:
            excluded = "No candidates in this category."
        elif count < EXCLUDE_UNDER * total:
            excluded = (
                f"{count} of {total} candidates ({_percent(count, total)}), under 2 %:"
                " left out of the impact ratios, as the LL144 rules allow."
            )
        counted.append((category, label, count, selected, excluded))
    rates = [sel / n for _, _, n, sel, ex in counted if ex is None]
    best = max(rates, default=0.0)
    rows = []
    for category, label, count, selected, excluded in counted:
        rate = selected / count if count else 0.0
        ratio = round(rate / best, DIGITS) if excluded is None and best > 0 else None
        rows.append(
            s.CategoryRow(
                category=category,
                label=label,
                count=count,
                share=round(count / total, DIGITS) if total else 0.0,
                selected=selected,
                rate=round(rate, DIGITS),
                impact_ratio=ratio,
                excluded=excluded,
                small_sample=excluded is None and count < SMALL_SAMPLE,
                four_fifths=ratio is not None and ratio < FOUR_FIFTHS,
            )
        )
    unknown = sum(_stage_counts(c, stage)[0] for c in cells if not _known(c, dimension))
    return s.DimensionTable(dimension=dimension, rows=rows, unknown=unknown)


TITLES: dict[s.Stage, tuple[str, str]] = {
    "scoring": (
        "AI stage: scoring rates",
        "Candidates with an AI overall score (from an LLM evaluator); selected: a score above"
        " the median of their interview's scores. Scoring rate = selected / candidates.",
    ),
    "selection": (
        "Human stage: selection rates",
        "Completed candidates with a decision by the hiring team; selected: the current"
        " decision is advance (hold and reject are not). Selection rate = selected / candidates.",
    ),
}


def stage_report(cells: Iterable[Cell], stage: s.Stage) -> s.StageReport:
    cells = list(cells)
    completed = sum(c.completed for c in cells)
    total = sum(_stage_counts(c, stage)[0] for c in cells)
    title, definition = TITLES[stage]
    warnings: list[str] = []
    if total == 0:
        warnings.append(
            "No AI overall scores: the local evaluator gives no grade, so there are no scoring"
            " rates. Configure an LLM evaluator (FAIRVIEW_LLM_BASE_URL) to score answers."
            if stage == "scoring"
            else "No decisions yet: selection rates need decided candidates."
        )
        return s.StageReport(stage, title, definition, False, 0, completed, [], warnings)
    tables = [table(cells, stage, d, total) for d in ("sex", "race", "intersection")]
    if total < SMALL_SAMPLE:
        warnings.append(
            f"Only {total} candidates in this stage: with fewer than {SMALL_SAMPLE}, rates and"
            " impact ratios vary a lot by chance; read them with care."
        )
    for t in tables:
        if not any(r.impact_ratio is not None for r in t.rows):
            warnings.append(
                f"No impact ratios by {t.dimension}: no category large enough"
                " or none has anyone selected."
            )
    small = [r.label for t in tables for r in t.rows if r.small_sample]
    if small:
        warnings.append(
            f"{len(small)} categories have fewer than {SMALL_SAMPLE} candidates (marked):"
            " their ratios are uncertain."
        )
    flagged = [r.label for t in tables for r in t.rows if r.four_fifths]
    if flagged:
        warnings.append(
            "Impact ratio under 0.8 (the four-fifths rule of thumb for adverse impact): "
            + ", ".join(flagged)
            + "."
        )
    return s.StageReport(stage, title, definition, True, total, completed - total, tables, warnings)
