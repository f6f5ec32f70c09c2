// Opens a guest's manage page (the link from their mail) in headless
// Chromium, reads the registration and cancels it.
// Usage: node manage.mjs MANAGE_URL
// Prints what it saw as JSON; exits non-zero when a step fails.
import { launch } from "./chromium.mjs";

const [manageUrl] = process.argv.slice(2);
const browser = await launch();
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
