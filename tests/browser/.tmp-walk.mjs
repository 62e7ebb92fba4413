import { launch, axe, describeViolations } from './lib.mjs';
const base = 'http://127.0.0.1:8471';
const b = await launch();
const page = await b.context.newPage();
async function signIn(email, password) {
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button:has-text("Sign in")')]);
}
await signIn('morgan.reid@linkwork.example', 'demo-manager-pass');
await page.goto(`${base}/directory?q=food`);
const link = page.locator('main a[href^="/directory/services/"]:not([href$="/new"])').first();
const href = await link.getAttribute('href');
console.log('service', href);
await page.goto(base + href);
await page.screenshot({ path: '/tmp/lw-ui/shots/service-desktop.png', fullPage: true });
let v = await axe(page); console.log('axe service', describeViolations(href, v) || 'none');
// Confirm the first suggestion, remove the second, add one.
const rows = page.locator('table.reading-table tbody tr');
console.log('rows', await rows.count());
await Promise.all([page.waitForURL(/done=concept-confirmed/), rows.nth(0).locator('button:has-text("Confirm")').click()]);
console.log('flash', (await page.textContent('main')).match(/Confirmed\. Search and matching now count it\./) ? 'ok' : 'MISSING');
if (await rows.count() > 1) {
  await Promise.all([page.waitForURL(/done=concept-rejected/), rows.nth(1).locator('button:has-text("Remove")').click()]);
}
await page.selectOption('#add-concept', 'community_cafe');
await Promise.all([page.waitForURL(/done=concept-confirmed/), page.click('button:has-text("Add")')]);
await page.setViewportSize({ width: 390, height: 844 });
await page.screenshot({ path: '/tmp/lw-ui/shots/service-390.png', fullPage: true });
const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
console.log('service scrollWidth at 390', overflow);
v = await axe(page); console.log('axe service 390', describeViolations(href, v) || 'none');
await page.setViewportSize({ width: 1280, height: 900 });
// Link worker: a person's match page with times.
await page.click('button:has-text("Sign out")');
await signIn('sam.okafor@linkwork.example', 'demo-linkworker-1');
await page.goto(`${base}/caseload`);
const people = page.locator('main a[href^="/people/"]');
let matched = false;
for (let i = 0; i < Math.min(await people.count(), 8) && !matched; i++) {
  await page.goto(`${base}/caseload`);
  const h = await people.nth(i).getAttribute('href');
  await page.goto(base + h);
  const find = page.locator('a:has-text("Find services")');
  if (await find.count() === 0) continue;
  await Promise.all([page.waitForURL(/\/match/), find.first().click()]);
  matched = true;
}
console.log('match page', page.url());
await page.check('#time-evening');
await Promise.all([page.waitForURL(/time=evening/), page.click('button:has-text("Update")')]);
await page.setViewportSize({ width: 390, height: 844 });
await page.screenshot({ path: '/tmp/lw-ui/shots/match-390.png', fullPage: true });
console.log('match scrollWidth at 390', await page.evaluate(() => document.documentElement.scrollWidth));
v = await axe(page); console.log('axe match', describeViolations('match', v) || 'none');
const text = await page.textContent('main');
console.log(text.match(/\d+ proposed/)?.[0], '|', (text.match(/Runs in the evenings/g) || []).length, 'evening reasons |', text.match(/fit but does not run when they can make it/) ? 'left-out note' : 'no left-out note');
await b.close();
