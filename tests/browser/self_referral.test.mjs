// The person's own door in real headless Chromium: a member of the public refers
// themselves from the sign-in page (finding their practice, a form sent empty, then
// filled in), at desktop width and at 390 px, and again with JavaScript turned off; the
// PCN manager then finds the referral in triage marked as a self-referral with the
// person's reference. axe-core runs on every page; no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, axe, describeViolations } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.LINKWORK_BIN || join(here, '..', '..', 'target', 'debug', 'linkwork');
const SHOTS = join(here, 'screenshots');
let server, base, browser, dataDir, smtp, mailDir;

// A free port on loopback for the mail server.
async function freePort() {
  return await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// Debian's aiosmtpd on loopback, writing what it receives to a maildir.
async function startSmtp() {
  mailDir = mkdtempSync(join(tmpdir(), 'linkwork-mail-'));
  const port = await freePort();
  smtp = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(mailDir, 'box')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const c = createServer().listen(port, '127.0.0.1', () => c.close(() => resolve(false))).on('error', () => resolve(true));
    });
    if (up) return port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('aiosmtpd did not start (is python3-aiosmtpd installed?)');
}

// The messages received so far, quoted-printable soft breaks joined.
function mails() {
  const out = [];
  for (const sub of ['new', 'cur']) {
    let names = [];
    try { names = readdirSync(join(mailDir, 'box', sub)); } catch { continue; }
    for (const n of names) out.push(readFileSync(join(mailDir, 'box', sub, n), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='));
  }
  return out;
}
const audited = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'linkwork-browser-'));
  const smtpPort = await startSmtp();
  server = spawn(BIN, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', 'demo', '--people', '10'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LINKWORK_LOG: 'warn', LINKWORK_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` },
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
  if (smtp && smtp.exitCode === null) smtp.kill('SIGTERM');
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
  console.log(`axe-core checked ${audited.length} pages: ${audited.join(', ')}`);
});

async function check(page, name) {
  const violations = await axe(page);
  audited.push(name);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  assert.equal(violations.length, 0, describeViolations(page.url(), violations));
}

// At 390 px: nothing scrolls sideways, and axe-core finds nothing.
async function checkPhone(page, name) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await check(page, name);
  await page.setViewportSize(size);
  assert.ok(width <= 390, `${name}: the page scrolls sideways at 390 px (${width} px wide)`);
}

// Fills in the self-referral form as a person would.
async function fillForm(page, { given, family }) {
  await page.fill('#given_name', given);
  await page.fill('#family_name', family);
  await page.fill('#date_of_birth', '4');
  await page.fill('#date_of_birth-month', '9');
  await page.fill('#date_of_birth-year', '1961');
  await page.fill('#phone', '07700 900123');
  await page.check('input[name="voicemail_ok"][value="no"]');
  await page.check('input[name="texts_ok"][value="yes"]');
  await page.fill('#story', 'Since I stopped work I hardly see anyone and money is tight.');
  await page.check('label:has-text("Feeling lonely or cut off from people")');
  await page.check('label:has-text("Money worries, debt or benefits")');
  await page.check('#consent_contact');
  await page.check('#consent_keep');
}

test('a person refers themselves and the PCN finds them in triage', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${base}/login`);
  await Promise.all([page.waitForURL(/\/self-referral$/), page.click('a:has-text("Refer yourself")')]);
  assert.match(await page.textContent('main'), /call 999/);
  await check(page, 'self-referral-start');
  await checkPhone(page, 'self-referral-start-phone');

  await Promise.all([page.waitForURL(/\/self-referral\/practice/), page.click('a:has-text("Start now")')]);
  await page.fill('#q', 'nowhere at all');
  await Promise.all([page.waitForURL(/q=nowhere/), page.click('button:has-text("Search")')]);
  assert.match(await page.textContent('main'), /No practice matches/);
  await page.fill('#q', 'LS7');
  await Promise.all([page.waitForURL(/q=LS7/), page.click('button:has-text("Search")')]);
  await check(page, 'self-referral-practice');
  await checkPhone(page, 'self-referral-practice-phone');
  await Promise.all([page.waitForURL(/\/self-referral\/details\?practice=/), page.click('a:has-text("Millbrook Surgery")')]);
  assert.match(await page.textContent('main'), /Your GP practice: Millbrook Surgery/);
  await check(page, 'self-referral-form');

  // Sent empty: every problem is named, at the top and by its field, and nothing is kept.
  await page.click('button:has-text("Send")');
  await page.waitForSelector('.error-summary');
  const summary = await page.textContent('.error-summary');
  for (const m of ['Enter your first name', 'Enter your date of birth', 'Enter a phone number or an email address', 'Tell us a little about what is going on', 'agree to a link worker contacting you']) {
    assert.ok(summary.includes(m), `error summary lacks "${m}": ${summary}`);
  }
  await check(page, 'self-referral-errors');
  await checkPhone(page, 'self-referral-errors-phone');

  await page.setViewportSize({ width: 390, height: 844 });
  await fillForm(page, { given: 'Petra', family: 'Lindqvist' });
  await page.click('button:has-text("Send")');
  await page.waitForSelector('text=Your reference is');
  const reference = (await page.textContent('.notice strong')).trim();
  assert.match(reference, /^SR-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await checkPhone(page, 'self-referral-done-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // The PCN manager sees it in triage, marked, with the reference the person was given.
  await page.goto(`${base}/login`);
  await page.fill('#email', 'morgan.reid@linkwork.example');
  await page.fill('#password', 'demo-manager-pass');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button:has-text("Sign in")')]);
  await page.goto(`${base}/triage`);
  const row = page.locator('tr', { hasText: 'LINDQVIST, Petra' });
  assert.equal(await row.count(), 1, 'the self-referral is in triage');
  const text = await row.textContent();
  assert.match(text, /Self-referral/);
  assert.ok(text.includes(reference), `triage shows the reference ${reference}: ${text}`);
  await check(page, 'self-referral-triage');
  await Promise.all([page.waitForURL(/\/people\/\d+/), row.locator('a').first().click()]);
  const person = await page.textContent('main');
  assert.match(person, /No \(do not leave a voicemail\)/);
  assert.ok(person.includes('Since I stopped work I hardly see anyone'), 'their own words reach the link worker');
  await page.close();
});

test('self-referral works with JavaScript turned off', async () => {
  const noScript = await launch({ javaScript: false });
  try {
    const page = await noScript.context.newPage();
    await page.goto(`${base}/self-referral/practice?q=Riverside`);
    await page.click('a:has-text("Riverside Medical Practice")');
    await page.waitForURL(/\/self-referral\/details\?practice=/);
    await fillForm(page, { given: 'Tomas', family: 'Ekdahl' });
    await page.click('button:has-text("Send")');
    await page.waitForSelector('text=Your reference is');
  } finally {
    await noScript.close();
  }
});

test('a police officer refers someone without an account, confirming their work email', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/self-referral`);
  await Promise.all([page.waitForURL(/who=agency/), page.click('a:has-text("refer someone with their agreement")')]);
  await page.fill('#q', 'Castle');
  await Promise.all([page.waitForURL(/q=Castle/), page.click('button:has-text("Search")')]);
  await Promise.all([page.waitForURL(/\/self-referral\/details\?practice=\d+&who=agency/), page.click('a:has-text("Castle Street Health Centre")')]);
  assert.match(await page.textContent('h1'), /Refer someone/);
  await page.fill('#referrer_name', 'PC Alex Jones');
  await page.selectOption('#referrer_source', 'police');
  await page.fill('#referrer_organisation', 'West Police');
  await page.fill('#referrer_email', 'alex.jones@west.police.example');
  await fillForm(page, { given: 'Stellan', family: 'Moberg' });
  await checkPhone(page, 'agency-referral-form-phone');
  await page.click('button:has-text("Continue")');
  await page.waitForSelector('text=Check your email');
  await checkPhone(page, 'agency-referral-check-email-phone');

  // The link in the email opens a page with a button; pressing it sends the referral.
  let link;
  for (let i = 0; i < 50 && !link; i++) {
    const m = mails().map((t) => t.match(/\/self-referral\/confirm\?token=[0-9a-f]+/)).find(Boolean);
    if (m) link = m[0]; else await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(link, 'a confirmation email arrived');
  assert.ok(!mails().some((t) => t.includes('Moberg')), 'the email names no one');
  await page.goto(`${base}${link}`);
  await checkPhone(page, 'agency-referral-confirm-phone');
  await page.click('button:has-text("Send the referral")');
  await page.waitForSelector('text=the referral has been sent');
  const reference = (await page.textContent('.notice strong')).trim();
  await checkPhone(page, 'agency-referral-sent-phone');

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/login`);
  await page.fill('#email', 'morgan.reid@linkwork.example');
  await page.fill('#password', 'demo-manager-pass');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button:has-text("Sign in")')]);
  await page.goto(`${base}/triage`);
  const row = page.locator('tr', { hasText: 'MOBERG, Stellan' });
  assert.equal(await row.count(), 1, 'the referral reached triage once confirmed');
  assert.ok((await row.textContent()).includes(reference));
  await page.goto(`${base}/admin/referrers`);
  await check(page, 'admin-referrers');
  await checkPhone(page, 'admin-referrers-phone');
  await page.goto(`${base}/texts`);
  assert.match(await page.textContent('main'), /GOV.UK Notify is not set up/);
  await check(page, 'texts');
  await checkPhone(page, 'texts-phone');
  await page.close();
});
