// Opens a guest's manage page (the link from their mail) in headless
// Chromium, reads the registration, follows "cancel" to the page that asks
// first, goes back (nothing changed), then cancels for real.
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
  seen.qr = await page.$$eval(".check-in-code svg", (svgs) => svgs.length);
  await Promise.all([page.waitForNavigation(), page.click("a.cancel-registration")]);
  seen.confirm_title = (await page.textContent("#confirm-title"))?.trim();
  seen.confirm_text = (await page.textContent("section.confirm p"))?.trim();
  await Promise.all([page.waitForNavigation(), page.click("section.confirm a.secondary")]);
  seen.status_after_going_back = (await page.textContent(".registration-status strong"))?.trim();
  await Promise.all([page.waitForNavigation(), page.click("a.cancel-registration")]);
  await Promise.all([
    page.waitForNavigation(),
    page.click("form.confirm-form button[type=submit]"),
  ]);
  seen.status_after_cancel = (await page.textContent(".registration-status strong"))?.trim();
  seen.flash = (await page.textContent(".flash"))?.trim();
  seen.qr_after_cancel = await page.$$eval(".check-in-code svg", (svgs) => svgs.length);
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`browser check failed: ${e.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
