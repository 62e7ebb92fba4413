// Single sign-on in real headless Chromium against a real OpenID provider (`oidc-provider`
// from npm, on loopback; see oidc_provider.mjs), through the real redirects:
// - a link worker links their provider identity (with their password), signs in with it and
//   lands on Today, and signing out ends the provider's session too (RP-initiated logout);
// - an administrator links an identity; a disabled account is then refused;
// - an account made at first sign-in where the deployment allows it, through the client that
//   authenticates with a signed JWT (private_key_jwt);
// - refused, with a clear page and no session: wrong state, a replayed code, id tokens from
//   another issuer, for another audience, expired, or badly signed; an unknown identity;
//   assurance below what the role needs; cancelled at the provider;
// - the provider rotates its signing key: Linkwork fetches the new keys and signs in.
// axe-core runs on Linkwork's single sign-on pages at desktop width and at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, startDemo, checkPage } from './lib.mjs';
import { startProvider, freePort } from './oidc_provider.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.LINKWORK_BIN || join(here, '..', '..', 'target', 'debug', 'linkwork');
const SHOTS = join(here, 'screenshots');
let demo, browser, op, confDir, base;
const audited = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  op = await startProvider({ linkworkBase: base });
  confDir = mkdtempSync(join(tmpdir(), 'linkwork-sso-'));
  writeFileSync(join(confDir, 'client.pem'), op.clientKeyPem);
  writeFileSync(join(confDir, 'linkwork.toml'), `
[[sign_in_providers]]
name = "test"
label = "Test NHS Identity"
issuer = "${op.issuer}"
client_id = "linkwork"
client_secret = "a-long-test-client-secret-for-linkwork"
acr_values = ["urn:test:aal3"]
required_acr = { link_worker = ["urn:test:aal3"] }

[[sign_in_providers]]
name = "test-jwt"
label = "Test Organisation Account"
issuer = "${op.issuer}"
client_id = "linkwork-jwt"
private_key_file = "${join(confDir, 'client.pem')}"
private_key_id = "linkwork-1"
create_accounts = [{ email_domain = "nhs.example", pcn = "U99991", role = "referrer" }]
`);
  demo = await startDemo({ bin: BIN, people: 5, listen: `127.0.0.1:${port}`, env: { LINKWORK_CONFIG: join(confDir, 'linkwork.toml') } });
  assert.equal(demo.base, base);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (demo) await demo.stop();
  if (op) await op.stop();
  if (confDir) rmSync(confDir, { recursive: true, force: true });
  console.log(`axe-core checked ${audited.length} pages: ${audited.join(', ')}`);
});

const check = (page, name) => checkPage(page, name, { shots: SHOTS, audited });

// A fresh browser state: no Linkwork session, no provider session.
async function freshPage() {
  await browser.context.clearCookies();
  return browser.context.newPage();
}

async function passwordSignIn(page, email, password) {
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button:has-text("Sign in")')]);
}

// At the provider's sign-in page: a user name and the assurance reached.
async function atProvider(page, username, acr = 'urn:test:aal3') {
  await page.waitForURL((u) => u.href.startsWith(op.issuer));
  await page.fill('#username', username);
  await page.check(`input[value="${acr}"]`);
  await page.click('button:has-text("Sign in at the provider")');
}

// "Sign in with …" from Linkwork's sign-in page, then the provider's page.
async function ssoSignIn(page, label, username, acr) {
  await page.goto(`${base}/login`);
  await page.click(`a:has-text("Sign in with ${label}")`);
  await atProvider(page, username, acr);
  await page.waitForURL((u) => u.href.startsWith(base), { timeout: 15_000 });
  await page.waitForLoadState('load');
}

async function signedIn(page) {
  const r = await page.request.get(`${base}/settings`, { maxRedirects: 0 });
  return r.status() === 200;
}

test('a link worker links their identity, signs in with it, lands on Today, and signs out of both', async () => {
  const page = await freshPage();
  // Someone else signed in at the provider in this browser and left (Bob, unknown here).
  await ssoSignIn(page, 'Test NHS Identity', 'bob-at-provider');
  assert.match(await page.textContent('h1'), /You cannot sign in with this account/);
  await passwordSignIn(page, 'sam.okafor@linkwork.example', 'demo-linkworker-1');
  await page.goto(`${base}/settings/sign-in`);
  await check(page, 'sso-settings');
  // A wrong password links nothing.
  await page.selectOption('#provider', 'test');
  await page.fill('#password', 'not the password');
  await page.click('button:has-text("Link")');
  await page.waitForSelector('.error-summary');
  assert.match(await page.textContent('.error-summary'), /password is not right/);
  await check(page, 'sso-settings-error');
  await page.selectOption('#provider', 'test');
  await page.fill('#password', 'demo-linkworker-1');
  await page.click('button:has-text("Link")');
  // Linking asks the provider to sign in again: Bob's session there is not taken.
  await atProvider(page, 'sam-at-provider');
  await page.waitForURL(/\/settings\/sign-in\?done=linked/);
  assert.match(await page.textContent('main'), /Test NHS Identity \(sam-at-provider@nhs\.example\)/);
  await check(page, 'sso-settings-linked');
  await Promise.all([page.waitForURL(/\/login/), page.click('button:has-text("Sign out")')]);

  await browser.context.clearCookies();
  await page.goto(`${base}/login`);
  await check(page, 'sso-login');
  await ssoSignIn(page, 'Test NHS Identity', 'sam-at-provider');
  assert.match(await page.textContent('h1'), /Today/, page.url());
  assert.ok(await signedIn(page));

  // Sign-out ends Linkwork's session, then the provider's (its confirmation page), and
  // comes back to Linkwork's sign-in page saying so.
  await page.click('button:has-text("Sign out")');
  await page.waitForURL((u) => u.href.startsWith(op.issuer), { timeout: 15_000 });
  await page.click('button:has-text("Yes, sign me out")');
  await page.waitForURL(/\/login\?signed_out=1/);
  assert.match(await page.textContent('main'), /You have signed out/);
  assert.ok(!(await signedIn(page)));
  // The provider's session is gone too: signing in again asks for the user name.
  await page.click('a:has-text("Sign in with Test NHS Identity")');
  await page.waitForSelector('#username');
});

test('an unknown identity, too little assurance, and a cancelled sign-in are refused with no session', async () => {
  let page = await freshPage();
  await ssoSignIn(page, 'Test NHS Identity', 'nobody-we-know');
  assert.match(await page.textContent('h1'), /You cannot sign in with this account/);
  await check(page, 'sso-refused-unknown');
  assert.ok(!(await signedIn(page)));

  // A link worker needs smartcard-level assurance (aal3) at this provider.
  page = await freshPage();
  await ssoSignIn(page, 'Test NHS Identity', 'sam-at-provider', 'urn:test:aal2');
  assert.match(await page.textContent('h1'), /A stronger sign-in is needed/);
  assert.ok(!(await signedIn(page)));

  page = await freshPage();
  await page.goto(`${base}/login`);
  await page.click('a:has-text("Sign in with Test NHS Identity")');
  await page.waitForSelector('#username');
  await page.click('button:has-text("Cancel")');
  await page.waitForURL((u) => u.href.startsWith(base));
  await page.waitForSelector('h1');
  assert.match(await page.textContent('h1'), /Sign-in did not finish/);
  assert.match(await page.textContent('main'), /cancelled or refused/);
  assert.ok(!(await signedIn(page)));
});

test('a wrong state and a replayed code are refused', async () => {
  const page = await freshPage();
  // Keep the first callback's address as the browser follows it.
  let first = null;
  page.on('request', (r) => { if (!first && r.url().includes('/login/sso/test/callback')) first = r.url(); });
  await ssoSignIn(page, 'Test NHS Identity', 'sam-at-provider');
  assert.ok(await signedIn(page));
  assert.ok(first, 'saw the callback');

  // The same callback again (its state was taken): refused.
  await browser.context.clearCookies();
  await page.goto(first);
  assert.match(await page.textContent('h1'), /This sign-in has expired/);
  assert.ok(!(await signedIn(page)));

  // A made-up state: refused.
  await page.goto(`${base}/login/sso/test/callback?code=abc&state=made-up`);
  assert.match(await page.textContent('h1'), /This sign-in has expired/);
  await check(page, 'sso-expired');

  // A new sign-in (its own state, bound to this browser) whose callback carries the first,
  // already redeemed code: the provider refuses it and Linkwork says so.
  const oldCode = new URL(first).searchParams.get('code');
  const started = await fetch(`${base}/login/sso/test`, { redirect: 'manual' });
  const to = new URL(started.headers.get('location'));
  assert.ok(to.href.startsWith(op.issuer), to.href);
  const binding = started.headers.get('set-cookie').match(/lw_sso=([^;]+)/)[1];
  await browser.context.addCookies([{ name: 'lw_sso', value: binding, url: base }]);
  await page.goto(`${base}/login/sso/test/callback?code=${encodeURIComponent(oldCode)}&state=${encodeURIComponent(to.searchParams.get('state'))}`);
  assert.match(await page.textContent('h1'), /Sign-in did not finish/);
  assert.match(await page.textContent('main'), /did not accept this sign-in/);
  assert.ok(!(await signedIn(page)));
});

test('id tokens from another issuer, for another audience, expired, or badly signed are refused', async () => {
  for (const mode of ['issuer', 'audience', 'expired', 'badsig']) {
    op.setTamper(mode);
    const page = await freshPage();
    try {
      await ssoSignIn(page, 'Test NHS Identity', 'sam-at-provider');
    } finally {
      op.setTamper(null);
    }
    assert.match(await page.textContent('h1'), /Sign-in could not be checked/, mode);
    assert.ok(!(await signedIn(page)), `${mode}: no session`);
    if (mode === 'issuer') await check(page, 'sso-refused-token');
    await page.close();
  }
});

test('an administrator links an identity; once the account is disabled it is refused', async () => {
  const admin = await freshPage();
  await passwordSignIn(admin, 'admin@linkwork.example', 'demo-admin-pass');
  await admin.goto(`${base}/admin/users`);
  await admin.locator('tr', { hasText: 'Jess Hughes' }).locator('a').first().click();
  await admin.waitForURL(/\/admin\/users\/\d+$/);
  const userUrl = admin.url();
  await admin.selectOption('#sso-provider', 'test');
  await admin.fill('#sso-subject', 'jess-at-provider');
  await admin.click('form[action$="/sso/link"] button:has-text("Link")');
  await admin.waitForURL(/done=sso-linked/);
  assert.match(await admin.textContent('main'), /Test NHS Identity, linked .*waiting for them to confirm/);
  await check(admin, 'sso-admin-user');

  await browser.context.clearCookies();
  const jess = await browser.context.newPage();
  await ssoSignIn(jess, 'Test NHS Identity', 'jess-at-provider');
  // An administrator's link: its holder sees the account and PCN first and says it is theirs.
  assert.match(await jess.textContent('h1'), /Is this your Linkwork account\?/);
  assert.match(await jess.textContent('main'), /jess\.hughes@linkwork\.example/);
  assert.ok(!(await signedIn(jess)), 'no session before the answer');
  await check(jess, 'sso-confirm');
  await Promise.all([jess.waitForURL((u) => !u.pathname.startsWith('/login')), jess.click('button:has-text("Yes, this is my account")')]);
  assert.match(await jess.textContent('h1'), /Today/);

  await browser.context.clearCookies();
  await passwordSignIn(admin, 'admin@linkwork.example', 'demo-admin-pass');
  await admin.goto(userUrl);
  await admin.click('button:has-text("Disable the account")');
  await admin.waitForLoadState('load');
  await browser.context.clearCookies();
  await ssoSignIn(jess, 'Test NHS Identity', 'jess-at-provider');
  assert.match(await jess.textContent('h1'), /You cannot sign in with this account/);
  assert.ok(!(await signedIn(jess)));
});

test('an identity an administrator linked to the wrong account is refused by its holder', async () => {
  const admin = await freshPage();
  await passwordSignIn(admin, 'admin@linkwork.example', 'demo-admin-pass');
  await admin.goto(`${base}/admin/users`);
  await admin.locator('tr', { hasText: 'Morgan Reid' }).locator('a').first().click();
  await admin.waitForURL(/\/admin\/users\/\d+$/);
  await admin.selectOption('#sso-provider', 'test');
  await admin.fill('#sso-subject', 'not-morgan');
  await admin.click('form[action$="/sso/link"] button:has-text("Link")');
  await admin.waitForURL(/done=sso-linked/);

  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await ssoSignIn(page, 'Test NHS Identity', 'not-morgan');
  assert.match(await page.textContent('main'), /morgan\.reid@linkwork\.example/);
  await page.click('button:has-text("No, this is not me")');
  await page.waitForSelector('h1');
  assert.match(await page.textContent('h1'), /You have not been signed in/);
  assert.ok(!(await signedIn(page)));
  // The link is gone: the same identity now opens nothing.
  await browser.context.clearCookies();
  await ssoSignIn(page, 'Test NHS Identity', 'not-morgan');
  assert.match(await page.textContent('h1'), /You cannot sign in with this account/);
});

test('private_key_jwt: a first sign-in makes a referrer account where the deployment allows it', async () => {
  const before = op.stats.grants['linkwork-jwt'] || 0;
  const page = await freshPage();
  await ssoSignIn(page, 'Test Organisation Account', 'new-referrer', 'urn:test:aal2');
  assert.ok(await signedIn(page), `${page.url()}: ${await page.textContent('main')}`);
  // That client is registered with private_key_jwt only: the provider granted it a token,
  // so Linkwork's signed client assertion was accepted.
  assert.equal(op.stats.grants['linkwork-jwt'], before + 1);
  await page.goto(`${base}/settings/sign-in`);
  assert.match(await page.textContent('main'), /Test Organisation Account/);
  assert.match(await page.textContent('header'), /Referrer/);
});

test('the provider rotates its signing key: Linkwork fetches the new keys and signs in', async () => {
  const fetched = op.stats.jwksFetches;
  await op.rotate();
  const page = await freshPage();
  await ssoSignIn(page, 'Test NHS Identity', 'sam-at-provider');
  assert.match(await page.textContent('h1'), /Today/);
  assert.ok(op.stats.jwksFetches > fetched, 'the keys were fetched again');
});
