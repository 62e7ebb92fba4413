// The journey end to end in real headless Chromium: a referrer refers a person, the PCN
// manager assigns the referral from triage, and the link worker takes her from first
// contact to discharge (acceptance, what matters, plan, outcome measures, matching,
// signposting); a partner answers a referral; the supervisor and admin pages. axe-core runs on every page visited; no serious or critical
// accessibility violation is allowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, axe, describeViolations } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.LINKWORK_BIN || join(here, '..', '..', 'target', 'debug', 'linkwork');
const SHOTS = join(here, 'screenshots');
let server, base, browser, dataDir;
const audited = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'linkwork-browser-'));
  server = spawn(BIN, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', 'demo', '--people', '60'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LINKWORK_LOG: 'warn' },
  });
  base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`linkwork demo did not start: ${out}`)), 60_000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/running at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.stderr.on('data', (d) => { out += d; });
    server.on('exit', (code) => reject(new Error(`linkwork exited with ${code}: ${out}`)));
  });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  console.log(`axe-core checked ${audited.length} pages: ${audited.join(', ')}`);
});

// Checks the page as it stands with axe-core and keeps a screenshot.
async function check(page, name) {
  const violations = await axe(page);
  audited.push(name);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  assert.equal(violations.length, 0, describeViolations(page.url(), violations));
}

// The same page on a phone (390 px): nothing scrolls sideways, axe-core finds nothing.
async function checkPhone(page, name) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await check(page, name);
  await page.setViewportSize(size);
  assert.ok(width <= 390, `${name}: the page scrolls sideways at 390 px (${width} px wide)`);
}

async function signIn(page, email, password) {
  await page.goto(`${base}/login`);
  await check(page, 'login');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button:has-text("Sign in")')]);
}

async function signOut(page) {
  await Promise.all([page.waitForURL(/\/login/), page.click('button:has-text("Sign out")')]);
}

test('a referral is made, triaged to a link worker and appears on their caseload', async () => {
  const page = await browser.context.newPage();

  // Wrong password: a clear message, linked from the error summary.
  await page.goto(`${base}/login`);
  await page.fill('#email', 'dr.whitfield@linkwork.example');
  await page.fill('#password', 'not the password');
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /email address or password is not right/);
  await check(page, 'login-error');

  // The referrer fills in the referral form, first forgetting consent.
  await signIn(page, 'dr.whitfield@linkwork.example', 'demo-referrer-pass');
  await page.goto(`${base}/referrals/new`);
  await check(page, 'referral-form');
  await page.fill('#given_name', 'Browsie');
  await page.fill('#family_name', 'Testperson');
  // Date of birth in three boxes, with the number keypad on a phone.
  assert.equal(await page.getAttribute('#date_of_birth', 'inputmode'), 'numeric');
  await page.fill('#date_of_birth', '17');
  await page.fill('#date_of_birth-month', '3');
  await page.fill('#date_of_birth-year', '1949');
  await page.fill('#nhs_number', '943 476 5919');
  await page.fill('#postcode', 'ls6 2ab');
  await page.selectOption('#source', 'gp');
  await page.fill('#referrer_name', 'Dr Tom Whitfield');
  await page.fill('#referrer_contact', '0113 496 0321');
  await page.check('input[name="needs"][value="loneliness"]');
  await page.check('input[name="needs"][value="bereavement"]');
  await page.fill('#reason', 'Lost her husband this spring and rarely leaves the house.');
  await page.click('button:has-text("Send referral")');
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /The person must agree to be referred/);
  assert.equal(await page.inputValue('#given_name'), 'Browsie', 'what was typed is kept');
  assert.equal(await page.inputValue('#date_of_birth-year'), '1949', 'the date boxes keep what was typed');
  await check(page, 'referral-missing-consent');
  // Following the summary link moves focus to the consent box.
  await page.click('.error-summary a[href="#consent"]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'consent');
  await page.check('#consent');
  await Promise.all([page.waitForURL(/\/referrals\/mine/), page.click('button:has-text("Send referral")')]);
  assert.match(await page.textContent('main'), /Referral sent/);
  assert.match(await page.textContent('main'), /Browsie Testperson/);
  await check(page, 'my-referrals');
  await signOut(page);

  // The manager assigns it from triage to Sam Okafor.
  await signIn(page, 'morgan.reid@linkwork.example', 'demo-manager-pass');
  await check(page, 'manager-home');
  await page.goto(`${base}/triage`);
  await check(page, 'triage');
  await checkPhone(page, 'triage-390');
  const row = page.locator('tr', { hasText: 'TESTPERSON, Browsie' });
  assert.equal(await row.count(), 1, 'the new referral waits in triage');
  const sam = await row.locator('option', { hasText: 'Sam Okafor' }).getAttribute('value');
  await row.locator('select').selectOption(sam);
  await Promise.all([page.waitForURL(/done=assigned/), row.locator('button:has-text("Assign")').click()]);
  assert.equal(await page.locator('tr', { hasText: 'TESTPERSON, Browsie' }).count(), 0, 'no longer unassigned');
  assert.match(await page.textContent('[role=status]'), /Episode assigned/);
  await signOut(page);

  // Sam sees Browsie on their caseload and opens her record.
  await signIn(page, 'sam.okafor@linkwork.example', 'demo-linkworker-1');
  assert.match(page.url(), /\/today$/);
  assert.match(await page.textContent('main'), /New referrals waiting for first contact/);
  assert.match(await page.textContent('main'), /TESTPERSON|Testperson/);
  await check(page, 'today');
  await page.goto(`${base}/caseload`);
  await check(page, 'caseload');
  await checkPhone(page, 'caseload-390');
  const mine = page.locator('tr', { hasText: 'TESTPERSON, Browsie' });
  assert.equal(await mine.count(), 1, 'on the caseload');
  assert.match(await mine.textContent(), /Referred/);
  await Promise.all([page.waitForURL(/\/people\/\d+/), mine.locator('a').first().click()]);
  const main = await page.textContent('main');
  assert.match(main, /943 476 5919/);
  assert.match(main, /Assigned to Sam Okafor/);
  assert.match(main, /Loneliness or social isolation, Bereavement/);
  const browsie = page.url();
  await check(page, 'person');
  // Sam rings her: the first contact moves the episode to "Contacting".
  await Promise.all([page.waitForURL(/\/contacts\/new$/), page.click('a:has-text("Record a contact")')]);
  await check(page, 'contact-form');
  await page.fill('#duration_minutes', '0');
  await page.click('button:has-text("Save contact")');
  assert.match(await page.textContent('.error-summary'), /from 1 to 480/);
  await check(page, 'contact-form-errors');
  await page.fill('#duration_minutes', '25');
  await page.fill('#notes', 'Introduced myself; she would like to hear about the lunch club.');
  await Promise.all([page.waitForURL(/done=contact/), page.click('button:has-text("Save contact")')]);
  const after = await page.textContent('main');
  assert.match(after, /Contact recorded/);
  assert.match(after, /1 contact \(usual range 6–12\)/);
  assert.match(after, /Telephone, 25 min/);
  assert.match(after, /Contacting/);
  await check(page, 'person-after-contact');
  await checkPhone(page, 'person-390');
  const personUrl = page.url().replace(/\?.*$/, '');

  // On a phone, "Person declines" asks first: whose record, the code it would queue, a
  // reason; cancelling changes nothing.
  await page.setViewportSize({ width: 390, height: 844 });
  await Promise.all([page.waitForURL(/close\?to=declined/), page.click('a:has-text("Person declines")')]);
  const confirm = await page.textContent('main');
  assert.match(confirm, /NHS number/);
  assert.match(confirm, /Social prescribing declined/);
  assert.match(confirm, /reopened for 14 days/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scroll at 390 px');
  await check(page, 'close-confirm-390');
  await Promise.all([page.waitForURL(personUrl), page.click('main a:has-text("Cancel")')]);
  assert.match(await page.textContent('main'), /Contacting/);
  await page.setViewportSize({ width: 1280, height: 900 });

  // She accepts: the GP-record code is queued; then what matters, the plan, a measure.
  await Promise.all([page.waitForURL(/done=state/), page.click('button:has-text("Person accepts")')]);
  assert.match(await page.textContent('main'), /871731000000106 Referral to social prescribing service: Waiting to be recorded/);
  await Promise.all([page.waitForURL(/\/assessment$/), page.click('a:has-text("Record what matters and needs")')]);
  await check(page, 'assessment-form');
  await page.click('button:has-text("Save assessment")');
  assert.match(await page.textContent('.error-summary'), /what matters to the person/);
  await check(page, 'assessment-errors');
  await page.fill('#what_matters', 'Having people to talk to again, and getting out in the fresh air.');
  await page.selectOption('#score_loneliness', '4');
  await page.selectOption('#score_bereavement', '5');
  await page.locator('input[name="interests"][value="walking"]').check();
  await Promise.all([page.waitForURL(/done=assessment/), page.click('button:has-text("Save assessment")')]);
  assert.match(await page.textContent('main'), /Assessed/);
  await Promise.all([page.waitForURL(/\/plan$/), page.click('a:has-text("Agree a plan")')]);
  await check(page, 'plan-form');
  await page.fill('#goal_1', 'Go for a walk with a group every week');
  await page.fill('#action_what_1', 'Try the Tuesday walk');
  await page.selectOption('#action_owner_1', 'person');
  const soon = new Date(Date.now() + 14 * 864e5).toISOString().slice(0, 10);
  await page.fill('#action_due_1', soon);
  await Promise.all([page.waitForURL(/done=plan/), page.click('button:has-text("Save plan")')]);
  assert.match(await page.textContent('main'), /Plan agreed/);
  await Promise.all([page.waitForURL(/\/plan\/print$/), page.click('a:has-text("Print the plan for the person")')]);
  assert.match(await page.textContent('main'), /Go for a walk with a group every week/);
  await check(page, 'plan-print');
  for (const [point, score] of [['baseline', '2'], ['review', '4']]) {
    await page.goto(`${personUrl}`);
    await Promise.all([page.waitForURL(/measures\/new/), page.click('a:has-text("SWEMWBS")')]);
    if (point === 'baseline') {
      await check(page, 'measure-form');
    }
    await page.check(`input[name="point"][value="${point}"]`);
    // Each statement is answered in the instrument's own words.
    const items = await page.$$eval('input[type=radio]:not([name="point"])', (rs) => [...new Set(rs.map((r) => r.name))]);
    assert.equal(items.length, 7, 'seven SWEMWBS statements');
    for (const name of items) await page.check(`input[name="${name}"][value="${score}"]`);
    if (point === 'review') {
      // The same day as the baseline: asked about first, then recorded when confirmed.
      await page.click('button:has-text("Save answers")');
      await page.waitForSelector('.error-summary');
      assert.match(await page.textContent('.error-summary'), /was also taken on/);
      await page.check('#same_day');
    }
    await Promise.all([page.waitForURL(/done=measure/), page.click('button:has-text("Save answers")')]);
  }
  const measured = await page.textContent('main');
  assert.match(measured, /SWEMWBS metric score: 15\.32 to 25\.03, up by 9\.71 \(better\)/);
  assert.equal(await page.locator('svg.chart title').count() > 0, true, 'chart with a title');
  await check(page, 'person-with-outcomes');
  // Matching proposes the Tuesday walk; she is signposted to it.
  await Promise.all([page.waitForURL(/\/match$/), page.click('a:has-text("Find services")')]);
  await check(page, 'match');
  const walk = page.locator('section.match', { hasText: 'Tuesday Strollers' });
  assert.equal(await walk.count(), 1, 'the Tuesday walk is proposed');
  assert.match(await walk.textContent(), /Matches their interest in walking groups/i);
  await Promise.all([page.waitForURL(/done=signposted/), walk.locator('button:has-text("Signpost")').click()]);
  assert.match(await page.textContent('main'), /Active/);
  // Discharge with a reason and a closing summary.
  await Promise.all([page.waitForURL(/\/discharge$/), page.click('a:has-text("Discharge")')]);
  await page.click('button:has-text("Discharge")');
  assert.match(await page.textContent('.error-summary'), /Choose a reason for discharge/);
  await check(page, 'discharge-errors');
  await page.check('input[name="reason"][value="goals_met"]');
  await page.fill('#summary', 'Walking with the Tuesday group every week and feels less alone.');
  await Promise.all([page.waitForURL(/done=discharged/), page.click('button:has-text("Discharge")')]);
  const done = await page.textContent('main');
  assert.match(done, /Discharged/);
  assert.match(done, /Walking with the Tuesday group every week/);
  await check(page, 'person-discharged');
  await page.goto(`${base}/waiting`);
  await check(page, 'waiting');
  await page.goto(`${base}/coding`);
  assert.match(await page.textContent('main'), /TESTPERSON|Browsie/);
  await check(page, 'coding');
  await page.goto(`${base}/people?name=testperson`);
  await check(page, 'people-search');
  await page.goto(`${base}/people/new`);
  await check(page, 'person-form');
  await page.goto(`${base}/settings`);
  await check(page, 'settings');
  await signOut(page);

  // Jess is not Browsie's link worker: she says why before the record opens.
  await signIn(page, 'jess.hughes@linkwork.example', 'demo-linkworker-2');
  await page.goto(browsie);
  assert.match(page.url(), /\/access\?next=/);
  assert.doesNotMatch(await page.textContent('main'), /943 476 5919/);
  await check(page, 'access-reason');
  await page.click('button:has-text("Open the record")');
  assert.match(await page.textContent('.error-summary'), /Choose why/);
  await check(page, 'access-reason-error');
  await page.check('input[value=covering]');
  await page.fill('#detail', 'Sam is on leave');
  await Promise.all([page.waitForURL(/\/people\/\d+$/), page.click('button:has-text("Open the record")')]);
  assert.match(await page.textContent('main'), /943 476 5919/);
  await signOut(page);

  await signIn(page, 'admin@linkwork.example', 'demo-admin-pass');
  await page.goto(`${base}/admin/users`);
  await check(page, 'admin-users');
  // An account opens on its own page: last sign-in, name and role, reset and disable
  // explained before they are done.
  await Promise.all([page.waitForURL(/\/admin\/users\/\d+$/), page.locator('a:has-text("Change or reset")').first().click()]);
  const account = await page.textContent('main');
  assert.match(account, /Last signed in/);
  assert.match(account, /Resetting the password ends their sessions/);
  await checkPhone(page, 'admin-account-390');
  await page.goto(`${base}/audit`);
  assert.match(await page.textContent('main'), /Sam is on leave/);
  await check(page, 'audit');
  await signOut(page);

  // The manager holds the PCN's side of its partner relationships.
  await signIn(page, 'morgan.reid@linkwork.example', 'demo-manager-pass');
  await page.goto(`${base}/partners`);
  assert.match(await page.textContent('main'), /Millbrook Community Garden/);
  await check(page, 'partners');
  // A second record of Browsie made by mistake: the person page says so, and the manager
  // compares the two and merges them, with a reason; the merge can be undone.
  await page.goto(`${base}/people/new`);
  await page.fill('#given_name', 'Browsie');
  await page.fill('#family_name', 'Testperson');
  await page.fill('#date_of_birth', '17');
  await page.fill('#date_of_birth-month', '3');
  await page.fill('#date_of_birth-year', '1949');
  await page.click('main button[type=submit]');
  assert.match(await page.textContent('main'), /may already have a record/);
  await page.check('#confirm_not_duplicate');
  await Promise.all([page.waitForURL(/\/people\/\d+/), page.click('main button[type=submit]')]);
  assert.match(await page.textContent('main'), /This may be the same person as another record/);
  await Promise.all([page.waitForURL(/\/merge\?with=\d+/), page.locator('a:has-text("Compare and merge")').first().click()]);
  assert.match(await page.textContent('main'), /943 476 5919/);
  await checkPhone(page, 'merge-compare-390');
  await page.click('main button[type=submit]');
  assert.match(await page.textContent('.error-summary'), /Choose which record to keep/);
  await check(page, 'merge-errors');
  await page.check('#keep-2');
  await page.fill('#why', 'Same person: made twice by mistake today');
  await Promise.all([page.waitForURL(/done=merged/), page.click('main button[type=submit]')]);
  const kept = await page.textContent('main');
  assert.match(kept, /Records merged/);
  assert.match(kept, /943 476 5919/);
  assert.match(kept, /made twice by mistake/);
  await checkPhone(page, 'person-merged-390');
  await signOut(page);

  // The deployment operator keeps what the PCNs share.
  await signIn(page, 'operator@linkwork.example', 'demo-operator-pass');
  for (const [path, name] of [['/operator/partners', 'operator-partners'], ['/admin/users', 'operator-users'],
    ['/admin/api-clients', 'operator-api-clients'], ['/directory/organizations', 'operator-directory-links'],
    ['/admin/coding', 'operator-coding'], ['/admin/arrs', 'operator-arrs']]) {
    await page.goto(`${base}${path}`);
    assert.equal(await page.locator('h1').count(), 1, path);
    await check(page, name);
  }
  await page.goto(`${base}/operator/partners`);
  await page.fill('#name', 'Riverside Men\'s Shed');
  await Promise.all([page.waitForURL(/done=partner-org/), page.click('button:has-text("Add organisation")')]);
  assert.match(await page.textContent('main'), /Riverside Men's Shed/);
  await page.close();
});

test('a link worker finds a free Tuesday walk near a postcode for over-65s; a partner keeps their listing current', async () => {
  const page = await browser.context.newPage();
  await signIn(page, 'sam.okafor@linkwork.example', 'demo-linkworker-1');
  await page.click('nav a:has-text("Directory")');
  await check(page, 'directory');
  await page.fill('#q', 'walking group');
  await page.fill('#postcode', 'ls6 2ab');
  await page.selectOption('#within', '2');
  await page.fill('#age', '70');
  await page.selectOption('#day', 'TU');
  await page.check('#free');
  await Promise.all([page.waitForURL(/\/directory\?/), page.click('button:has-text("Search")')]);
  const results = page.locator('ol.results > li');
  assert.ok(await results.count() >= 1, 'at least one walk found');
  const texts = await results.allTextContents();
  assert.ok(texts.some((t) => /Tuesday Strollers/.test(t)), texts.join('\n'));
  for (const text of texts) {
    assert.match(text, /walk/i, 'every result is a walk');
    assert.match(text, /miles/, 'every result shows its distance');
    assert.match(text, /Tuesday/, 'every result meets on a Tuesday');
    assert.match(text, /Free/, 'every result is free');
    assert.doesNotMatch(text, /Ages (7[1-9]|[89]\d) and over/, 'every result takes a 70-year-old');
  }
  await check(page, 'directory-results');
  // Nearest first: the walk starting at that postcode leads.
  await page.selectOption('#sort', 'distance');
  await Promise.all([page.waitForURL(/sort=distance/), page.click('button:has-text("Search")')]);
  const nearest = await page.locator('ol.results > li').first().textContent();
  assert.match(nearest, /Tuesday Strollers/);
  assert.match(nearest, /Less than 0.1 miles/);
  // A typo still finds walks; an unknown postcode is explained, not an error.
  await page.goto(`${base}/directory?q=walkng&postcode=LS1+1AA`);
  assert.match(await page.textContent('main'), /We do not have a location for LS1 1AA/);
  assert.ok(await page.locator('ol.results > li').count() >= 1);
  await page.goto(`${base}/directory?q=walking+group&postcode=LS6+2AB&within=2&age=70&day=TU&free=yes`);
  await Promise.all([page.waitForURL(/\/directory\/services\//), page.locator('ol.results a').first().click()]);
  assert.match(await page.textContent('main'), /How to refer/);
  await check(page, 'directory-service');
  // Everyday words: "can't pay the bills" finds money advice and says why; "alcohol" finds the
  // drug and alcohol service another publisher listed under its own category.
  await page.goto(`${base}/directory?q=${encodeURIComponent("can't pay the bills")}&postcode=LS6+2AB`);
  const money = await page.locator('ol.results > li').allTextContents();
  assert.ok(money.slice(0, 5).some((t) => /debt|benefits|warm homes/i.test(t)), money.join('\n'));
  assert.match(money[0], /Matches /);
  await page.goto(`${base}/directory?q=alcohol`);
  await Promise.all([
    page.waitForURL(/\/directory\/services\//),
    page.locator('ol.results a', { hasText: 'Drink and Drugs Service' }).click(),
  ]);
  assert.match(await page.textContent('main'), /How Linkwork reads this listing/);
  assert.match(await page.textContent('main'), /Drug and alcohol support/);
  await check(page, 'directory-service-read');
  await signOut(page);

  // The garden's partner sees only their own listings and updates one.
  await signIn(page, 'hello@millbrook-garden.example', 'demo-partner-pass');
  await page.goto(`${base}/partner`);
  await check(page, 'partner-home');
  assert.match(await page.textContent('main'), /Referrals to you/);
  await checkPhone(page, 'partner-home-390');
  const cards = page.locator('.card');
  assert.ok(await cards.count() >= 1);
  for (const text of await cards.allTextContents()) assert.match(text, /garden|green gym/i);
  await cards.first().locator('select').selectOption('full');
  await Promise.all([page.waitForURL(/done=capacity/), cards.first().locator('button').click()]);
  assert.match(await page.textContent('main'), /Capacity updated/);
  await page.locator('.card a:has-text("Edit")').first().click();
  await page.waitForURL(/\/edit$/);
  await check(page, 'service-edit');
  await page.fill('#name', '');
  await page.fill('#s1_opens', '25:00');
  await page.click('button:has-text("Save")');
  assert.match(await page.textContent('.error-summary'), /Enter the service name/);
  await check(page, 'service-edit-errors');
  await page.fill('#name', 'Community garden sessions');
  await page.fill('#s1_opens', '10:00');
  await page.fill('#description', 'Grow vegetables together. Tools and gloves provided.');
  await Promise.all([page.waitForURL(/done=service-saved/), page.click('button:has-text("Save")')]);
  assert.match(await page.textContent('main'), /Tools and gloves provided/);
  // Another organisation's listing cannot be edited.
  const other = await page.request.get(`${base}/oruk/services?search=choir&per_page=1`);
  const id = (await other.json()).contents[0].id;
  const res = await page.goto(`${base}/directory/services/${id}/edit`);
  assert.equal(res.status(), 403);
  await page.goto(`${base}/partner`);
  assert.match(await page.textContent('main'), /PCNs that refer to you/);
  await check(page, 'partner-home');
  await signOut(page);

  // The manager's directory pages.
  await signIn(page, 'morgan.reid@linkwork.example', 'demo-manager-pass');
  await page.goto(`${base}/directory/import`);
  await check(page, 'directory-import');
  await page.goto(`${base}/directory/organizations`);
  await check(page, 'directory-organisations');
  await page.goto(`${base}/directory/taxonomy`);
  assert.match(await page.textContent('main'), /North Leeds Wellbeing Network Categories/);
  await check(page, 'directory-taxonomy');
  await Promise.all([page.waitForURL(/\/directory\/taxonomy\/.+/), page.locator('a', { hasText: 'Map' }).first().click()]);
  await check(page, 'directory-term');
  // What one listing is read as: a suggestion until the manager confirms it; on a phone too.
  await page.goto(`${base}/directory?q=alcohol`);
  await Promise.all([
    page.waitForURL(/\/directory\/services\//),
    page.locator('ol.results a', { hasText: 'Drink and Drugs Service' }).click(),
  ]);
  const row = page.locator('table.reading-table tbody tr', { hasText: 'Drug and alcohol support' });
  assert.match(await row.textContent(), /Suggested/);
  await Promise.all([page.waitForURL(/done=concept-confirmed/), row.locator('button:has-text("Confirm")').click()]);
  assert.match(await page.locator('table.reading-table tbody tr', { hasText: 'Drug and alcohol support' }).textContent(), /Confirmed/);
  await page.setViewportSize({ width: 390, height: 844 });
  await check(page, 'directory-service-review-phone');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scroll at 390 px');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/directory/services/new`);
  await check(page, 'service-new');
  await page.click('button:has-text("Save")');
  assert.match(await page.textContent('.error-summary'), /Enter the service name/);
  await signOut(page);

  // The partner answers a referral; the GP supervisor sees safeguarding concerns.
  await signIn(page, 'hello@millbrook-garden.example', 'demo-partner-pass');
  await page.goto(`${base}/partner/referrals`);
  await check(page, 'partner-referrals');
  const open = page.locator('table').first().locator('a').first();
  await Promise.all([page.waitForURL(/\/partner\/referrals\/\d+$/), open.click()]);
  await check(page, 'partner-referral');
  const first = page.locator('input[name="to"]').first();
  if (await first.count()) {
    await first.check();
    await Promise.all([page.waitForURL(/done=referral-updated/), page.click('button:has-text("Save")')]);
    assert.match(await page.textContent('main'), /Referral updated/);
  }
  await signOut(page);
  await signIn(page, 'dr.natarajan@linkwork.example', 'demo-supervisor-pass');
  await page.goto(`${base}/safeguarding`);
  await check(page, 'safeguarding');
  // Structured: the kind of concern, how urgent, how long open, the local authority.
  const concerns = await page.textContent('main');
  assert.match(concerns, /Financial or material abuse/);
  assert.match(concerns, /Urgent: within 1 working day/);
  assert.match(concerns, /Open \d+ (hours|days?)/);
  await checkPhone(page, 'safeguarding-390');
  await signOut(page);
  // The national code catalogue is the deployment operator's, not a PCN administrator's.
  await signIn(page, 'admin@linkwork.example', 'demo-admin-pass');
  const refused = await page.goto(`${base}/admin/coding`);
  assert.equal(refused.status(), 403);
  await check(page, 'code-catalogue-refused');
  await page.goto(`${base}/settings`);
  await signOut(page);
  await signIn(page, 'operator@linkwork.example', 'demo-operator-pass');
  await page.goto(`${base}/admin/coding`);
  await check(page, 'code-catalogue');
  await page.close();
});
