// Guest pages in headless Chromium at a phone's width (390 px) and a
// desktop's (1280 px): screenshots, input font sizes, horizontal scroll,
// the month calendar as a list on the phone, the zone select following the
// browser's zone and the country chosen, and an axe-core accessibility
// check of the public pages.
// Usage: node pages.mjs BASE_URL EVENT_SLUG MONTH SCREENSHOT_DIR
// Prints what it saw as JSON; exits non-zero when a step fails.
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { launch } from "./chromium.mjs";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const [base, slug, month, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await launch();
const seen = { widths: {}, axe: {} };
try {
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    // A guest in Berlin: the browser's zone is Europe/Berlin.
    const context = await browser.newContext({ viewport: { width, height }, timezoneId: "Europe/Berlin", locale: "de-DE" });
    const page = await context.newPage();
    const at = {};
    await page.goto(`${base}/events/${slug}`);
    at.lang = await page.getAttribute("html", "lang");
    at.zoneOnLoad = await page.inputValue("#time_zone");
    await page.selectOption("#country", "US");
    await page.waitForFunction(() => document.querySelector("#time_zone").value !== "Europe/Berlin");
    at.zoneAfterCountry = await page.inputValue("#time_zone");
    at.likely = await page.$$eval("#time_zone optgroup:first-child option", (os) => os.map((o) => o.value));
    at.fontSizes = await page.$$eval("form.registration-form input:not([type=hidden]), form.registration-form select, form.registration-form button",
      (els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
    at.overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: `${shots}/event-${width}.png`, fullPage: true });
    // Printed, the event keeps its facts and drops the form and the boxes.
    await page.emulateMedia({ media: "print" });
    at.print = await page.evaluate(() => Object.fromEntries(
      [".registration", ".feed-links", ".zone-picker", "header.site", "dl.facts", "h1"].map((s) => [s, getComputedStyle(document.querySelector(s)).display])));
    await page.emulateMedia({ media: "screen" });
    await page.goto(`${base}/calendar?month=${month}`);
    at.calendar = await page.evaluate(() => ({
      grid: getComputedStyle(document.querySelector("table.month")).display,
      list: getComputedStyle(document.querySelector(".month-agenda")).display,
      items: document.querySelectorAll(".month-agenda > li").length,
      sundayColor: getComputedStyle(document.querySelector("table.month th.sun")).color,
      saturdayColor: getComputedStyle(document.querySelector("table.month th.sat")).color,
    }));
    at.calendarOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: `${shots}/calendar-${width}.png`, fullPage: true });
    await page.goto(`${base}/no-such-page`);
    at.errorOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: `${shots}/error-404-${width}.png`, fullPage: true });
    seen.widths[width] = at;
    await context.close();
  }
  // axe-core on the public pages and the form (the CSP allows no injected
  // script, so this context bypasses it; the pages are unchanged).
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  for (const path of ["/", `/events/${slug}`, `/events/${slug}?lang=en`, `/calendar?month=${month}`, "/privacy", "/no-such-page", "/venues/nakanoshima"]) {
    await page.goto(`${base}${path}`);
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    });
    seen.axe[path] = result;
  }
  await context.close();
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`browser check failed: ${e.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
