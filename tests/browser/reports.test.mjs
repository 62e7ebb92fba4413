// The manager's view end to end in real headless Chromium, over the demo: the dashboard
// (headline figures, alerts), two reports with their charts and data tables, a CSV and an
// XLSX download, the ARRS claim for a month, and the supervision and training pages.
// axe-core runs on every page; no serious or critical accessibility violation is allowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
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
  server = spawn(BIN, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', 'demo', '--people', '80'], {
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
  console.log(`axe-core checked ${audited.length} manager pages: ${audited.join(', ')}`);
});

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

test('a manager reads the dashboard, two reports, downloads and an ARRS claim', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#email', 'morgan.reid@linkwork.example');
  await page.fill('#password', 'demo-manager-pass');
  await page.click('button[type=submit]');
  // Managers land on the dashboard.
  await page.waitForURL(/\/dashboard/);
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor());
  const referrals = await page.locator('#d-referrals + p + dl .summary-list__value').first().innerText();
  assert.match(referrals, /^\d+/, 'referrals received is a number');
  assert.ok(Number.parseInt(referrals, 10) > 0, `the demo has referrals in the last 12 months: ${referrals}`);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Needs attention' }).waitFor());
  assert.ok(await page.getByRole('link', { name: /clinical supervision \(non-managerial\)/ }).count() > 0,
    'the demo link worker with lapsed clinical supervision is flagged');
  // Work waiting on the team is counted there too (no one named).
  assert.ok(await page.getByRole('link', { name: /waiting to be assigned to a link worker|open past the time its urgency allows/ }).count() > 0,
    'the demo has unassigned referrals or an overdue safeguarding concern');
  await check(page, 'manager-dashboard');
  await checkPhone(page, 'manager-dashboard-390');

  // Referrals report: a chart beside each table, and a filter that changes the figures.
  await page.getByRole('link', { name: 'Referrals and waiting times' }).click();
  await page.waitForURL(/\/reports\/referrals/);
  const chart = page.locator('svg.chart--bar').first();
  await assert.doesNotReject(chart.waitFor());
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.match(await chart.locator('title').textContent(), /Referrals by source/);
  const total = Number.parseInt(await page.locator('.stat__value').first().innerText(), 10);
  await page.selectOption('#source', 'gp');
  await page.getByRole('button', { name: 'Show figures' }).click();
  await page.waitForURL(/source=gp/);
  const gpOnly = Number.parseInt(await page.locator('.stat__value').first().innerText(), 10);
  assert.ok(gpOnly > 0 && gpOnly < total, `GP referrals (${gpOnly}) are some of all (${total})`);
  await check(page, 'report-referrals');

  // CSV and XLSX downloads.
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Download this table as CSV.*Referrals by source/ }).click(),
  ]);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.match(text, /^Source,Referrals,Share of referrals \(%\)\r\nGP,\d+,100\.0\r\n/);
  const [xlsx] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download all tables (XLSX)' }).click(),
  ]);
  const bytes = readFileSync(await xlsx.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an XLSX file is a zip');

  // Outcomes report.
  await page.goto(`${base}/reports/outcomes`);
  const row = page.getByRole('row', { name: /SWEMWBS metric score/ });
  await assert.doesNotReject(row.waitFor());
  await check(page, 'report-outcomes');

  // The ARRS claim for a month.
  await page.goto(`${base}/workforce/arrs`);
  await page.getByRole('button', { name: 'Show month' }).click();
  await page.waitForURL(/month=/);
  const totalRow = page.getByRole('row', { name: /^Total/ });
  assert.match(await totalRow.innerText(), /£[\d,]+\.\d\d/);
  await check(page, 'arrs-month');

  await page.goto(`${base}/supervision`);
  await check(page, 'supervision');
  await page.goto(`${base}/training`);
  await check(page, 'training');
  await page.goto(`${base}/reports/print`);
  await check(page, 'report-print');
  await page.close();
});
