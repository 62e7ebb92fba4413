import { launch } from './lib.mjs';
const browser = await launch();
const page = await browser.context.newPage();
const base = 'http://127.0.0.1:8724';
await page.goto(base + '/login');
await page.fill('#email', 'sam.okafor@linkwork.example');
await page.fill('#password', 'demo-linkworker-1');
await page.click('button[type=submit]');
await page.waitForLoadState('networkidle');
for (const [w, name] of [[390, 'phone'], [1280, 'desk']]) {
  await page.setViewportSize({ width: w, height: 900 });
  await page.goto(base + '/directory?q=' + encodeURIComponent('feeling suicidal need to talk to someone now'));
  await page.screenshot({ path: `/tmp/s24-search-${name}.png`, fullPage: false });
  const names = await page.$$eval('main h2, main h3', els => els.slice(0, 6).map(e => e.textContent.trim()));
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  console.log(w, 'scrollWidth', sw, names);
}
await browser.close();
