// An administrator registers a GP system's public keys on the API clients page (SMART Backend
// Services), in real headless Chromium: a key set with a private part is refused with a clear
// message and nothing kept; the public set is saved and its key id shown; the client secret is
// then turned off (keys only). axe-core runs at desktop width and at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, startDemo, checkPage } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.LINKWORK_BIN || join(here, '..', '..', 'target', 'debug', 'linkwork');
const SHOTS = join(here, 'screenshots');
let demo, browser;
const audited = [];
const check = (page, name) => checkPage(page, name, { shots: SHOTS, audited });

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

test("an administrator registers a client's public keys, and a private key is refused", async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const full = privateKey.export({ format: 'jwk' });
  const { d, p, q, dp, dq, qi, ...pub } = full;
  const leaked = JSON.stringify({ keys: [{ ...full, kid: 'gp-2026', alg: 'RS384', use: 'sig' }] });
  const good = JSON.stringify({ keys: [{ ...pub, kid: 'gp-2026', alg: 'RS384', use: 'sig' }] });

  const page = await browser.context.newPage();
  await page.goto(`${demo.base}/login`);
  await page.fill('#email', 'admin@linkwork.example');
  await page.fill('#password', 'demo-admin-pass');
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.click('button:has-text("Sign in")')]);
  await page.goto(`${demo.base}/admin/api-clients`);
  const keys = page.locator('details', { hasText: 'Public keys: none' }).first();
  await keys.locator('summary').click();
  await check(page, 'api-client-keys');

  await keys.locator('textarea').fill(leaked);
  await Promise.all([page.waitForLoadState('load'), keys.locator('button:has-text("Save keys")').click()]);
  const problem = await page.textContent('.error-summary');
  assert.match(problem, /includes a private key: paste only the public keys/);
  assert.match(problem, /Nothing was changed/);
  assert.equal(await page.locator('summary', { hasText: 'gp-2026' }).count(), 0, 'nothing kept');
  await check(page, 'api-client-keys-refused');

  // The box stays open at that client, with the message beside it; a private key is not
  // sent back to the browser.
  const again = page.locator('details[open]');
  assert.equal(await again.count(), 1);
  assert.match(await again.locator('.error-message').textContent(), /private key/);
  assert.equal(await again.locator('textarea').inputValue(), '');
  assert.ok(!(await page.content()).includes(full.d), 'the private key is not echoed');
  await page.click('.error-summary a');
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'TEXTAREA');
  await again.locator('textarea').fill(good);
  await Promise.all([page.waitForURL(/done=client-keys-saved/), again.locator('button:has-text("Save keys")').click()]);
  assert.match(await page.textContent('[role=status], .notice'), /Public keys saved/);
  assert.equal(await page.locator('summary', { hasText: 'Public keys: gp-2026' }).count(), 1);
  await check(page, 'api-client-keys-saved');

  // With keys registered, the secret can be turned off: the client then signs in by key only.
  const withKeys = page.locator('details', { hasText: 'Public keys: gp-2026' });
  await withKeys.locator('summary').click();
  await Promise.all([page.waitForURL(/done=client-secret-off/), withKeys.locator('button:has-text("Turn off the client secret")').click()]);
  assert.match(await page.textContent('[role=status], .notice'), /Client secret turned off/);
  await page.locator('details', { hasText: 'Public keys: gp-2026' }).locator('summary').click();
  assert.equal(await page.locator('text=Keys only').count(), 1);
  await check(page, 'api-client-keys-only');
});
