// Shared helpers for the browser tests: Debian's Chromium through playwright-core (never a
// browser download), a fresh profile per run, and axe-core injected from node_modules.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launch({ javaScript = true } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'linkwork-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic',
    ],
    viewport: { width: 1280, height: 900 },
    // Linkwork's CSP forbids inline scripts; axe-core is injected by the test only.
    bypassCSP: true,
    javaScriptEnabled: javaScript,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Runs axe-core on the page; returns the serious and critical violations.
export async function axe(page) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(url, violations) {
  return violations
    .map((v) => `${url}: [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`)
    .join('\n');
}

// Starts `linkwork demo` on a free loopback port with a fresh data directory. Resolves once
// it serves, and once `until` (a pattern in its output) has been printed too; `out()` is
// everything it printed. `stop()` ends it (by its pid) and removes its data.
export async function startDemo({ bin, people = 10, env = {}, until = null, listen = '127.0.0.1:0' }) {
  const { spawn } = await import('node:child_process');
  const dataDir = mkdtempSync(join(tmpdir(), 'linkwork-browser-'));
  const server = spawn(bin, ['--data-dir', dataDir, '--listen', listen, 'demo', '--people', String(people)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LINKWORK_LOG: 'warn', ...env },
  });
  let out = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`linkwork demo did not start: ${out}`)), 90_000);
    const look = () => {
      const m = out.match(/running at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m && (!until || until.test(out))) { clearTimeout(timer); resolve(m[1]); }
    };
    server.stdout.on('data', (d) => { out += d; look(); });
    server.stderr.on('data', (d) => { out += d; });
    server.on('exit', (code) => reject(new Error(`linkwork exited with ${code}: ${out}`)));
  });
  return {
    base,
    out: () => out,
    async stop() {
      if (server.exitCode === null) server.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// A page checked as a newcomer would meet it, at desktop width and at 390 px: no axe-core
// violations, no sideways scroll, a full-page screenshot in `shots`; `audited` collects the
// names for the run's summary.
export async function checkPage(page, name, { shots, audited }) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const violations = await axe(page);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    audited.push(`${name}@${width}`);
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
    assert.equal(violations.length, 0, describeViolations(page.url(), violations));
    assert.ok(scroll <= width, `${name}: scrolls sideways at ${width} px (${scroll} px)`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
