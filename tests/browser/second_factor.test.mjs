// A second factor in real headless Chromium: a PCN manager sets up an authenticator app from
// Settings (the QR code drawn by the server, the key to type in), confirms a code, keeps the
// recovery codes, signs out, and signs in again with the password and then a code. The codes
// are made here the way an authenticator app makes them (RFC 6238, HMAC-SHA-1). axe-core runs
// on every page, at desktop width and at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, startDemo, checkPage } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.LINKWORK_BIN || join(here, '..', '..', 'target', 'debug', 'linkwork');
const SHOTS = join(here, 'screenshots');
let demo, browser;
const audited = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  demo = await startDemo({ bin: BIN, people: 10 });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (demo) await demo.stop();
  console.log(`axe-core checked ${audited.length} pages: ${audited.join(', ')}`);
});

const check = (page, name) => checkPage(page, name, { shots: SHOTS, audited });

// An authenticator app's code for a base32 key, `steps` 30-second steps from now.
function totp(key, steps = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of key.replace(/\s/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const h = createHmac('sha1', bytes).update(counter).digest();
  const o = h[19] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function signIn(page) {
  await page.goto(`${demo.base}/login`);
  await page.fill('#email', 'morgan.reid@linkwork.example');
  await page.fill('#password', 'demo-manager-pass');
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.click('button:has-text("Sign in")')]);
}

test('a manager sets up an authenticator app and needs it to sign in', async () => {
  const page = await browser.context.newPage();
  await signIn(page);
  await page.goto(`${demo.base}/settings`);
  await Promise.all([page.waitForURL(/second-factor$/), page.click('a:has-text("Set up or change your authenticator app")')]);
  await check(page, 'mfa-start');
  await page.click('button:has-text("Set up an authenticator app")');
  await page.waitForSelector('.qr-code svg');
  await check(page, 'mfa-qr');
  const key = (await page.textContent('code.token')).trim();
  await page.fill('#code', '000000' === totp(key) ? '111111' : '000000');
  await page.fill('#password', 'demo-manager-pass');
  await page.click('button:has-text("Turn on the second factor")');
  await page.waitForSelector('.error-summary');
  await check(page, 'mfa-qr-error');
  await page.fill('#code', totp(key));
  await page.fill('#password', 'demo-manager-pass');
  await page.click('button:has-text("Turn on the second factor")');
  await page.waitForSelector('text=Your recovery codes');
  const codes = await page.$$eval('.recovery-codes code', (els) => els.map((e) => e.textContent));
  assert.equal(codes.length, 10);
  await check(page, 'mfa-recovery-codes');

  await Promise.all([page.waitForURL(/\/login/), page.click('button:has-text("Sign out")')]);
  await page.fill('#email', 'morgan.reid@linkwork.example');
  await page.fill('#password', 'demo-manager-pass');
  await Promise.all([page.waitForURL(/\/login\/code$/), page.click('button:has-text("Sign in")')]);
  await check(page, 'mfa-code');
  await page.fill('#code', '123456' === totp(key, 1) ? '654321' : '123456');
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /The code is not right/);
  await check(page, 'mfa-code-error');
  await page.fill('#code', totp(key, 1));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button:has-text("Sign in")')]);
  assert.ok(!page.url().includes('/login'), `signed in: ${page.url()}`);
});
