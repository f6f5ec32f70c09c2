// Registers for an event through musubi's form in headless Chromium (the
// system's, from Debian) and reads the page that answers.
// Usage: node register.mjs BASE_URL EVENT_SLUG EMAIL
// Prints what it saw as JSON; exits non-zero when a step fails.
// The manage link then comes by mail; manage.mjs follows it.
import { launch } from "./chromium.mjs";

const [base, slug, email] = process.argv.slice(2);
const browser = await launch();
const seen = {};
try {
  const page = await browser.newPage();
  await page.goto(`${base}/events/${slug}?lang=en`);
  await page.fill("#name", "Anna Schmidt");
  await page.fill("#email", email);
  await page.fill("#organization", "Berlin Pharma GmbH");
  await page.selectOption("#country", "DE");
  await page.selectOption("#time_zone", "Europe/Berlin");
  await page.selectOption("#language", "en");
  await page.check("#consent");
  await Promise.all([
    page.waitForURL(/\/events\/[^/?]+\/registered$/),
    page.click("form.registration-form button[type=submit]"),
  ]);
  seen.confirmation = (await page.textContent(".notice.success"))?.trim();
  seen.links = await page.$$eval("a", (links) => links.map((a) => a.href));
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`browser check failed: ${e.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
