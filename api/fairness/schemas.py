"""Input and output shapes of Fairness: the candidate's self-identification and the
adverse-impact report."""

from __future__ import annotations

from typing import Literal

import msgspec

# The categories of the NYC Local Law 144 rules (6 RCNY § 5-301), and "prefer not to say".
Sex = Literal["male", "female", "prefer_not_to_say"]
Race = Literal[
    "hispanic_latino",
    "white",
    "black",
    "native_hawaiian_pacific_islander",
    "asian",
    "native_american_alaska_native",
    "two_or_more",
    "prefer_not_to_say",
]
Stage = Literal["scoring", "selection"]
Dimension = Literal["sex", "race", "intersection"]


class SelfIdentificationIn(msgspec.Struct):
    """Every field may be left out (unanswered); "prefer_not_to_say" is always accepted."""

    sex: Sex | None = None
    race: Race | None = None


class SelfIdentificationState(msgspec.Struct):
    """What the candidate's page needs: whether they may answer and whether they did. The
    answer itself is never read back, not even by the candidate."""

    available: bool  # the interview is completed
    answered: bool


class CategoryRow(msgspec.Struct):
    category: str  # e.g. "female", "black", "female/black"
    label: str
    count: int  # candidates of the category in the stage
    share: float  # of every candidate in the stage (unknown ones included)
    selected: int  # advanced (selection) or scored above the median (scoring)
    rate: float
    impact_ratio: float | None  # rate / the highest included category's rate; None: excluded
    excluded: str | None  # why the category is left out of the impact ratios
    small_sample: bool  # fewer than SMALL_SAMPLE candidates
    four_fifths: bool  # impact ratio under 0.8


class DimensionTable(msgspec.Struct):
    dimension: Dimension
    rows: list[CategoryRow]
    unknown: (
        int  # candidates in the stage without a category here (not answered, preferred not to say)
    )


class StageReport(msgspec.Struct):
    stage: Stage
    title: str
    definition: str  # what "selected" and the rate mean in this stage
    available: bool  # False: nothing to report (no AI scores, or nobody decided yet)
    total: int  # candidates in the stage
    pending: int  # completed candidates not in the stage yet (undecided, or not scored)
    tables: list[DimensionTable]
    warnings: list[str]


class InterviewMedian(msgspec.Struct):
    interview_id: str
    title: str
    median: float  # of the AI overall scores of its completed candidates
    scored: int


class ImpactReport(msgspec.Struct):
    scope: Literal["interview", "organization"]
    interview_id: str | None
    title: str
    completed: int  # completed candidates
    self_identified: int  # of those, how many answered the form (in any way)
    medians: list[InterviewMedian]
    stages: list[StageReport]  # scoring (the AI stage), then selection (the human stage)
    notes: list[str]
