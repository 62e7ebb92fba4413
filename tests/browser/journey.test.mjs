// The first journey end to end in real headless Chromium: a referrer refers a person,
// the PCN manager assigns the referral from triage, and the link worker finds the person
// on their caseload. axe-core runs on every page visited; no serious or critical
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
  await page.fill('#date_of_birth', '1949-03-17');
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
  assert.match(page.url(), /\/caseload$/);
  await check(page, 'caseload');
  const mine = page.locator('tr', { hasText: 'TESTPERSON, Browsie' });
  assert.equal(await mine.count(), 1, 'on the caseload');
  assert.match(await mine.textContent(), /Referred/);
  await Promise.all([page.waitForURL(/\/people\/\d+/), mine.locator('a').first().click()]);
  const main = await page.textContent('main');
  assert.match(main, /943 476 5919/);
  assert.match(main, /Assigned to Sam Okafor/);
  assert.match(main, /Loneliness or social isolation, Bereavement/);
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
  await page.goto(`${base}/people?name=testperson`);
  await check(page, 'people-search');
  await page.goto(`${base}/people/new`);
  await check(page, 'person-form');
  await page.goto(`${base}/settings`);
  await check(page, 'settings');
  await signOut(page);

  await signIn(page, 'admin@linkwork.example', 'demo-admin-pass');
  await page.goto(`${base}/admin/users`);
  await check(page, 'admin-users');
  await page.goto(`${base}/audit`);
  await check(page, 'audit');
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
  await signOut(page);

  // The garden's partner sees only their own listings and updates one.
  await signIn(page, 'hello@millbrook-garden.example', 'demo-partner-pass');
  await page.goto(`${base}/partner`);
  await check(page, 'partner-home');
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
  await signOut(page);

  // The manager's directory pages.
  await signIn(page, 'morgan.reid@linkwork.example', 'demo-manager-pass');
  await page.goto(`${base}/directory/import`);
  await check(page, 'directory-import');
  await page.goto(`${base}/directory/organizations`);
  await check(page, 'directory-organisations');
  await page.goto(`${base}/directory/services/new`);
  await check(page, 'service-new');
  await page.click('button:has-text("Save")');
  assert.match(await page.textContent('.error-summary'), /Enter the service name/);
  await page.close();
});
