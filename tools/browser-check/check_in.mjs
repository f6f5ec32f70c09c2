// An organizer at the reception desk: signs in on a phone-sized screen,
// opens a guest's check-in link (the QR code's), presses the button, and
// opens it again. Usage: node check_in.mjs BASE_URL CHECK_IN_URL EMAIL PASSWORD SCREENSHOT_DIR
import { launch } from "./chromium.mjs";

const [base, link, email, password, shots] = process.argv.slice(2);
const browser = await launch();
const seen = {};
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  // Without a session the link names nobody.
  await page.goto(link);
  seen.anonymous = (await page.textContent(".check-in")).replace(/\s+/g, " ").trim();
  await page.goto(`${base}/admin/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(/\/admin/), page.click("form button[type=submit]")]);
  await page.goto(link);
  seen.guest = (await page.textContent(".check-in")).replace(/\s+/g, " ").trim();
  seen.buttonFont = await page.$eval(".check-in form button[type=submit]", (b) => parseFloat(getComputedStyle(b).fontSize));
  await page.screenshot({ path: `${shots}/check-in-390.png`, fullPage: true });
  await page.click(".check-in form button[type=submit]");
  await page.waitForSelector(".check-in-result");
  seen.after = (await page.textContent(".check-in-result")).replace(/\s+/g, " ").trim();
  await page.goto(link);
  seen.again = (await page.textContent(".check-in-result")).replace(/\s+/g, " ").trim();
  seen.overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`browser check failed: ${e.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
