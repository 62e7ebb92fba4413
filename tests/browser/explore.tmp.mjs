import { launch, axe, describeViolations } from './lib.mjs';
const base = 'http://127.0.0.1:18080';
const b = await launch();
const page = await b.context.newPage();
async function login(email, pw) {
  await page.goto(base + '/login');
  await page.fill('#email', email); await page.fill('#password', pw);
  await page.click('button[type=submit]');
}
async function shot(name) {
  const v = await axe(page);
  if (v.length) console.log(describeViolations(page.url(), v));
  await page.screenshot({ path: `/tmp/shots/${name}.png`, fullPage: true });
  console.log(name, page.url(), (await page.title()));
}
await login('sam.okafor@linkwork.example', 'demo-linkworker-1');
await shot('today');
await page.goto(base + '/caseload?state=active');
const link = await page.locator('table a[href^="/people/"]').first().getAttribute('href');
await page.goto(base + link); await shot('person');
await page.locator('svg.chart').first().screenshot({ path: '/tmp/shots/chart.png' });
const match = await page.locator('a[href$="/match"]').first().getAttribute('href');
await page.goto(base + match); await shot('match');
const pr = await page.locator('a[href$="/plan/print"]').first().getAttribute('href').catch(() => null);
if (pr) { await page.goto(base + pr); await shot('print'); }
await page.goto(base + '/waiting'); await shot('waiting');
await page.goto(base + '/coding'); await shot('coding');
await page.goto(base + link.replace('/people/', '/people/')); 
const ass = await page.locator('a[href$="/assessment"]').first().getAttribute('href');
await page.goto(base + ass); await shot('assessment');
const plan = await page.locator('a').filter({hasText: 'Back'}).first();
await page.goto(base + ass.replace('assessment', 'plan')); await shot('plan');
await page.goto(base + ass.replace('assessment', 'measures/new?instrument=swemwbs')); await shot('measure');
await page.goto(base + ass.replace('assessment', 'discharge')); await shot('discharge');
await page.goto(base + ass.replace('assessment', 'safeguarding')); await shot('safeguarding-new');
await page.goto(base + ass.replace('assessment', 'health-use')); await shot('health-use');
await page.goto(base + ass.replace('assessment', 'referral-back')); await shot('referral-back');
await page.context().clearCookies();
await login('hello@millbrook-garden.example', 'demo-partner-pass');
await page.goto(base + '/partner/referrals'); await shot('partner-list');
const pl = await page.locator('table a[href^="/partner/referrals/"]').first().getAttribute('href');
await page.goto(base + pl); await shot('partner-referral');
await page.context().clearCookies();
await login('dr.natarajan@linkwork.example', 'demo-supervisor-pass');
await page.goto(base + '/'); await shot('supervisor-home');
await page.goto(base + '/safeguarding'); await shot('safeguarding');
await page.context().clearCookies();
await login('admin@linkwork.example', 'demo-admin-pass');
await page.goto(base + '/admin/coding'); await shot('admin-coding');
await b.close();
