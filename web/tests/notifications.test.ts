import { afterEach, describe, expect, it } from "vitest";
import type { Schemas } from "../src/api/client";
import { setLocale } from "../src/i18n";
import { wording } from "../src/notifications";

const base: Schemas["NotificationOut"] = {
  id: "n1",
  kind: "candidate_completed",
  candidate_id: "c1",
  data: { candidate: "Cora", interview: "Support lead", interview_id: "i1" },
  read_at: null,
  created_at: "2026-11-24T10:00:00Z",
};

describe("notification wording", () => {
  afterEach(() => setLocale("en"));

  it("names the candidate and the interview in the reader's language", () => {
    setLocale("en");
    expect(wording(base)).toBe("Cora completed Support lead");
    setLocale("ru");
    expect(wording({ ...base, kind: "evaluation_ready" })).toBe("Оценка готова: Cora, «Support lead»");
  });

  it("words the decision and the mail server's reply", () => {
    setLocale("en");
    const decided = { ...base, kind: "candidate_decided" as const, data: { ...base.data, decision: "advance" as const } };
    expect(wording(decided)).toBe("Cora (Support lead): Advance");
    const failed = { ...base, kind: "invitation_failed" as const, data: { ...base.data, error: "550 No such user" } };
    expect(wording(failed)).toBe("The invitation to Cora (Support lead) could not be delivered: 550 No such user");
  });
});
