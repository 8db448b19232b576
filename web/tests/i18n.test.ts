import { describe, expect, it } from "vitest";
import { detectLocale, dictionaries, setLocale, t } from "../src/i18n";

describe("i18n", () => {
  it("has every English text in Russian, with the same placeholders", () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(dictionaries.en)) {
      const ru = dictionaries.ru[key as keyof typeof dictionaries.ru];
      expect(ru, key).toBeTruthy();
      expect(placeholders(ru), key).toEqual(placeholders(text));
    }
  });

  it("fills placeholders and switches language", () => {
    setLocale("en");
    expect(t("team.invited", { email: "a@b.c" })).toBe("Invitation sent to a@b.c.");
    setLocale("ru");
    expect(t("team.invited", { email: "a@b.c" })).toBe("Приглашение отправлено на a@b.c.");
    expect(document.documentElement.lang).toBe("ru");
    setLocale("en");
  });

  it("prefers a stored choice, then the browser's languages", () => {
    expect(detectLocale("ru", ["en-US"])).toBe("ru");
    expect(detectLocale(null, ["de-DE", "ru-RU"])).toBe("ru");
    expect(detectLocale("xx", ["en-GB"])).toBe("en");
  });
});
