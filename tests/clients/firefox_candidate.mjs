// A candidate answering one video question on the candidate page in Debian's Firefox ESR with its
// default settings (mDNS host candidates included), driven over WebDriver BiDi by puppeteer-core
// (no browser download). The camera is Firefox's fake one (media.navigator.streams.fake); the
// microphone's fake tone is replaced, inside the page, by the speech fixture played by a media
// element, so the words can be scored: Firefox's own WebRTC stack encodes and sends both.
//
//   node tests/clients/firefox_candidate.mjs LINK WAV SECONDS [FIREFOX [SCREENSHOT]]
//
// Prints one JSON line: what the page said after the answer, and the browser's console errors.
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const puppeteer = require("puppeteer-core");

const [link, wav, secondsArg, firefox = "/usr/bin/firefox-esr", screenshot] = process.argv.slice(2);
let pageRef = null;
const seconds = Number(secondsArg);
const result = { console_errors: [] };

// Runs in the page before its own scripts: every getUserMedia call gets the fake camera and a
// microphone that plays the speech once from its start (as Chromium's file-backed fake does).
// The speech is a media element's captured stream (Web Audio would need a sound device).
function speakingMicrophone(wavBase64) {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  const bytes = Uint8Array.from(atob(wavBase64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    if (!constraints?.audio) return stream;
    const player = new Audio(url);
    const speech = player.mozCaptureStream();
    await player.play();
    for (const track of stream.getAudioTracks()) {
      stream.removeTrack(track);
      track.stop();
    }
    for (const track of speech.getAudioTracks()) {
      const stop = track.stop.bind(track);
      track.stop = () => (stop(), player.pause());
      stream.addTrack(track);
    }
    return stream;
  };
  // Keep the SDP offers the page sends, for the test to see what Firefox offered.
  const send = window.fetch.bind(window);
  window.__offers = [];
  window.fetch = (input, init) => {
    if (init?.headers?.["Content-Type"] === "application/sdp") window.__offers.push(init.body);
    return send(input, init);
  };
}

async function click(page, text) {
  result.step = text;
  await page.locator(`button::-p-text(${text})`).setTimeout(20_000).click();
}

async function main() {
  const profile = mkdtempSync(join(tmpdir(), "fairview-firefox-"));
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefox,
    headless: true,
    userDataDir: profile,
    extraPrefsFirefox: {
      // Test-only: a fake camera and microphone, no permission prompt, audio allowed to start.
      "media.navigator.streams.fake": true,
      "media.navigator.permission.disabled": true,
      "media.autoplay.default": 0,
    },
  });
  try {
    const page = await browser.newPage();
    pageRef = page;
    page.on("console", (message) => {
      if (message.type() === "error") result.console_errors.push(message.text());
    });
    const wavBase64 = readFileSync(wav).toString("base64");
    await page.evaluateOnNewDocument(speakingMicrophone, wavBase64);
    await page.goto(link);
    await click(page, "Begin");
    await page.locator("#consent-recording").click();
    await page.locator("#consent-ai").click();
    await click(page, "Continue");
    result.step = "device check";
    await page.locator("meter.level").setTimeout(20_000).wait();
    await click(page, "Continue");
    await click(page, "Start the interview");
    result.step = "recording";
    const elapsed = `.remaining[data-elapsed="${seconds}"]`;
    await page.locator(elapsed).setTimeout(60_000).wait();
    result.user_agent = await page.evaluate(() => navigator.userAgent);
    result.offers = await page.evaluate(() => window.__offers);
    await click(page, "Stop and save");
    const outcome = await page
      .locator(".status.ok, .status.error")
      .setTimeout(30_000)
      .map((el) => ({ ok: el.classList.contains("ok"), text: el.textContent }))
      .wait();
    result.saved = outcome.ok;
    result.message = outcome.text;
  } catch (error) {
    if (screenshot) await pageRef?.screenshot({ path: screenshot }).catch(() => undefined);
    result.page_text = await pageRef?.evaluate(() => document.body.innerText).catch(() => null);
    throw error;
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main()
  .catch((error) => {
    result.errors = [String(error?.stack ?? error)];
  })
  .finally(() => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  });
