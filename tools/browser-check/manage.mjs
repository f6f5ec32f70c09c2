// Opens a guest's manage page (the link from their mail) in headless
// Chromium, reads the registration and cancels it.
// Usage: node manage.mjs MANAGE_URL
// Prints what it saw as JSON; exits non-zero when a step fails.
import { chromium } from "playwright-core";

const [manageUrl] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const seen = {};
try {
  const page = await browser.newPage();
  await page.goto(manageUrl);
  seen.status = (await page.textContent(".registration-status strong"))?.trim();
  seen.times = await page.$$eval("ul.times li", (items) => items.map((li) => li.textContent.trim()));
  await Promise.all([
    page.waitForNavigation(),
    page.click("form.cancel-registration button[type=submit]"),
  ]);
  seen.status_after_cancel = (await page.textContent(".registration-status strong"))?.trim();
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`browser check failed: ${e.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
