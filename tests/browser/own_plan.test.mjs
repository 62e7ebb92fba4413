// A person's own plan in real headless Chromium. `linkwork demo` prints a plan link for one
// of the first link worker's people. On a phone (390 px) the person opens it, asks for a
// one-time code; with no GOV.UK Notify or email set up the code is not sent, so the link
// worker (another browser, desktop) reads it from the person's page, as they would over
// the phone once they know it is them. The person types it with their date of birth, sees
// their plan, answers the wellbeing questions (a form sent half-done first), asks to be
// called and signs out; the link worker sees the call request and gives a new printed code,
// which stops the old link. axe-core runs on every page: no serious or critical violation,
// and nothing scrolls sideways at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, axe, describeViolations, startDemo } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.LINKWORK_BIN || join(here, '..', '..', 'target', 'debug', 'linkwork');
const SHOTS = join(here, 'screenshots');
let demo, phone, desk;
const audited = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  demo = await startDemo({ bin: BIN, people: 40, until: /my-plan\?code=[A-Z0-9-]+\n[^\n]*\n/ });
  phone = await launch();
  desk = await launch();
});

after(async () => {
  if (phone) await phone.close();
  if (desk) await desk.close();
  if (demo) await demo.stop();
  console.log(`axe-core checked ${audited.length} pages: ${audited.join(', ')}`);
});

async function check(page, name) {
  const violations = await axe(page);
  audited.push(name);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  assert.equal(violations.length, 0, describeViolations(page.url(), violations));
  const { width } = page.viewportSize();
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `${name}: the page scrolls sideways at ${width} px (${scroll} px wide)`);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

test('a person opens their plan on a phone with a one-time code', async () => {
  const out = demo.out();
  const link = out.match(/(http:\/\/127\.0\.0\.1:\d+\/my-plan\?code=[A-Z0-9-]+)/)[1];
  const who = out.match(/for (.+), born (\d+) (\w+) (\d{4})\./);
  assert.ok(who, `the demo says whose plan it is: ${out}`);
  const [, name, day, monthName, year] = who;
  const month = String(MONTHS.indexOf(monthName) + 1);

  const p = await phone.context.newPage();
  await p.setViewportSize({ width: 390, height: 844 });
  await p.goto(link);
  assert.match(await p.textContent('h1'), /Check it is you/);
  await check(p, 'my-plan-check-phone');
  await p.check('input[name="channel"] >> nth=0');
  await Promise.all([p.waitForURL(/\/my-plan\/code$/), p.click('button:has-text("Send me a code")')]);
  assert.match(await p.textContent('main'), /We could not send your code just now/);
  await check(p, 'my-plan-code-phone');

  // The link worker, at a desk, reads the code from the person's page.
  const d = await desk.context.newPage();
  await d.goto(`${demo.base}/login`);
  await d.fill('#email', 'sam.okafor@linkwork.example');
  await d.fill('#password', 'demo-linkworker-1');
  await Promise.all([d.waitForURL((u) => !u.pathname.startsWith('/login')), d.click('button:has-text("Sign in")')]);
  const personUrl = out.match(/open (http:\/\/127\.0\.0\.1:\d+\/people\/\d+) to read it/)[1];
  await d.goto(personUrl);
  const otp = (await d.textContent('main')).match(/you may tell them it \((\d{6})\)/)[1];

  // A wrong date of birth first: refused without saying which answer is wrong.
  await p.fill('#otp', otp);
  await p.fill('#date_of_birth', day);
  await p.fill('#date_of_birth-month', month);
  await p.fill('#date_of_birth-year', String(Number(year) + 1));
  await p.click('button:has-text("See my plan")');
  await p.waitForSelector('.error-summary');
  assert.match(await p.textContent('.error-summary'), /The code or the date of birth is not right/);
  await check(p, 'my-plan-code-error-phone');
  await p.fill('#otp', otp);
  await p.fill('#date_of_birth-year', year);
  await Promise.all([p.waitForURL(/\/my-plan\/view$/), p.click('button:has-text("See my plan")')]);
  const given = name.split(' ')[0];
  assert.match(await p.textContent('h1'), new RegExp(`Your plan, ${given}`));
  const plan = await p.textContent('main');
  assert.match(plan, /Your link worker is Sam Okafor/);
  await check(p, 'my-plan-view-phone');
  if (await p.locator('button:has-text("I went")').count() > 0) {
    await Promise.all([p.waitForURL(/done=went/), p.locator('button:has-text("I went")').first().click()]);
    assert.match(await p.textContent('main'), /You said you went/);
  }

  // Their wellbeing questions: sent half-done, every missing answer is named.
  await Promise.all([p.waitForURL(/\/my-plan\/wellbeing$/), p.click('a:has-text("Answer the questions")')]);
  await check(p, 'my-plan-wellbeing-phone');
  await p.check('input[name="optimistic"][value="3"]');
  await p.click('button:has-text("Save my answers")');
  await p.waitForSelector('.error-summary');
  await check(p, 'my-plan-wellbeing-errors-phone');
  for (const item of ['useful', 'relaxed', 'problems', 'thinking', 'close', 'mind']) {
    await p.check(`input[name="${item}"][value="4"]`);
  }
  await Promise.all([p.waitForURL(/done=wellbeing/), p.click('button:has-text("Save my answers")')]);
  await p.check('input[name="best_time"][value="morning"]');
  await p.fill('#note', 'Any weekday after ten');
  await Promise.all([p.waitForURL(/done=call/), p.click('button:has-text("Please call me")')]);
  assert.match(await p.textContent('main'), /Your link worker will call you/);
  await Promise.all([p.waitForURL(/\/my-plan\/sign-out$/), p.click('button:has-text("Sign out")')]);
  assert.match(await p.textContent('h1'), /You have signed out/);
  await check(p, 'my-plan-signed-out-phone');

  // The link worker sees what the person did, and gives them a new code on paper.
  await d.goto(personUrl);
  const page = await d.textContent('main');
  assert.match(page, /They asked you to call them/);
  assert.match(page, /Any weekday after ten/);
  assert.match(page, /SWEMWBS at (baseline|review) \(answered by them on their plan\)/);
  await Promise.all([d.waitForURL(/\/plan-link$/), d.click('a:has-text("Their plan on their phone")')]);
  await check(d, 'plan-link');
  await d.check('input[name="sent_by"][value="print"]');
  await Promise.all([d.waitForURL(/\/plan-link\?notice=/), d.click('button:has-text("Send the link")')]);
  const code = (await d.textContent('.plan-code .token')).trim();
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await check(d, 'plan-link-printed');
  await d.setViewportSize({ width: 390, height: 844 });
  await check(d, 'plan-link-printed-phone');

  // The old link stopped working when the new one was made.
  await p.goto(link);
  assert.match(await p.textContent('h1'), /This link or code does not work/);
  await check(p, 'my-plan-not-working-phone');
  // The printed code typed in by hand opens the door again.
  await p.goto(`${demo.base}/my-plan`);
  await check(p, 'my-plan-enter-phone');
  await p.fill('#code', code.toLowerCase().replace(/-/g, ' '));
  await Promise.all([p.waitForURL(/\/my-plan\?code=/), p.click('button:has-text("Continue")')]);
  assert.match(await p.textContent('h1'), /Check it is you/);

  // The PCN's public home page leads to every door.
  await p.goto(`${demo.base}/pcn/U99991`);
  assert.match(await p.textContent('h1'), /Social prescribing at Riverside Health PCN/);
  await check(p, 'pcn-home-phone');
  await Promise.all([p.waitForURL(/\/my-plan$/), p.click('a:has-text("See your plan")')]);
});
