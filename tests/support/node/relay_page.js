// Opens a page in headless Chromium (Playwright's driver, Debian's chromium) and
// prints what the page's WebSocket received as one JSON line.
// Usage: node relay_page.js PAGE_URL USER_DATA_DIR
"use strict";
const { chromium } = require("playwright-core");

const [pageUrl, userDataDir] = process.argv.slice(2);
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

(async () => {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium", headless: true, args: ARGS, timeout: 30000,
  });
  try {
    const page = await context.newPage();
    await page.goto(pageUrl);
    const result = await page.waitForFunction(() => window.relayResult, null, { timeout: 20000 });
    process.stdout.write(JSON.stringify(await result.jsonValue()) + "\n");
  } finally {
    await context.close();
  }
})().catch((error) => {
  process.stdout.write(JSON.stringify({ error: String(error && error.message || error) }) + "\n");
  process.exit(1);
});
