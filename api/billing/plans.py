"""Plans and their limits, read from a TOML file (configuration, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("plans.toml")

# The limits a plan may set; monthly ones count from the first of the month (UTC).
LIMITS = (
    "seats",
    "active_interviews",
    "completed_interviews_per_month",
    "ai_minutes_per_month",
    "storage_gb",
)


class PlansError(ValueError):
    pass


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    price: str
    stripe_price: str | None
    limits: dict[str, int | None]  # None: unlimited


@dataclass(frozen=True)
class Plans:
    default: str
    grace_days: int
    plans: dict[str, Plan]

    def get(self, plan_id: str | None) -> Plan:
        return self.plans.get(plan_id or "", self.plans[self.default])

    def by_stripe_price(self, price: str) -> Plan | None:
        return next((p for p in self.plans.values() if p.stripe_price == price), None)


def load(path: str | Path | None = None) -> Plans:
    with open(path or DEFAULT_FILE, "rb") as f:
        raw = tomllib.load(f)
    plans = {}
    for plan_id, p in raw.get("plans", {}).items():
        unknown = set(p) - {"name", "price", "stripe_price", *LIMITS}
        if unknown:
            raise PlansError(f"plan {plan_id!r}: unknown keys {sorted(unknown)}")
        limits = {name: p.get(name) for name in LIMITS}
        if any(v is not None and (not isinstance(v, int) or v < 0) for v in limits.values()):
            raise PlansError(f"plan {plan_id!r}: limits must be whole numbers ≥ 0")
        plans[plan_id] = Plan(
            plan_id, p.get("name", plan_id), p.get("price", ""), p.get("stripe_price"), limits
        )
    default = raw.get("default", "")
    if default not in plans:
        raise PlansError(f"the default plan {default!r} is not defined")
    return Plans(default, int(raw.get("grace_days", 7)), plans)
