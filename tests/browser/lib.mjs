// Shared by the browser tests: Debian's chromium driven by playwright-core,
// axe-core for accessibility, screenshots for the record. tests/browser/run.sh
// starts the server and sets the environment read here:
//   RATECARD_URL        the server, e.g. http://127.0.0.1:31234
//   RATECARD_<ROLE>_USER / RATECARD_<ROLE>_PASSWORD  for PRACTITIONER, PROVIDER,
//                       COMMISSIONER, COURT, ADMIN, and STAFF (a second member
//                       of the provider's staff, to allocate referrals to)
//   SCREENSHOT_DIR      where shot() writes NAME.png (default build/screenshots)
//   CHROMIUM            the browser (default /usr/bin/chromium)
// The network is closed: chromium runs with no background networking, and any
// request that does not go to RATECARD_URL is aborted and recorded in
// `blocked`, so a page that reaches outside fails its test instead of hanging.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const baseURL = process.env.RATECARD_URL || 'http://127.0.0.1:8080';
export const screenshotDir = process.env.SCREENSHOT_DIR || 'build/screenshots';

function account(role) {
	const R = role.toUpperCase();
	return {
		username: process.env[`RATECARD_${R}_USER`],
		password: process.env[`RATECARD_${R}_PASSWORD`],
	};
}

/** The accounts run.sh created, by role: users.practitioner.username, ... */
export const users = Object.fromEntries(
	['practitioner', 'provider', 'staff', 'commissioner', 'court', 'admin'].map((r) => [r, account(r)]),
);

/** WCAG 2.2 AA and everything below it. */
export const A11Y_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-dev-shm-usage',
];

// contexts made by launch() with JavaScript off: checkA11y treats their pages apart
const scriptless = new WeakSet();

// aborts (and records in `blocked`) every http(s) request that leaves the server
async function keepInside(context, blocked) {
	const origin = new URL(baseURL).origin;
	await context.route(
		(url) => (url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== origin,
		(route) => {
			blocked.push(route.request().url());
			return route.abort('blockedbyclient');
		},
	);
}

/**
 * Starts chromium with a fresh profile (playwright makes a new user-data
 * directory per launch) and opens one page. Relative URLs in page.goto() are
 * resolved against RATECARD_URL. Close with `await browser.close()`.
 * Returns { browser, context, page, blocked }: blocked lists the URLs aborted
 * because they left the server.
 */
export async function launch({ javaScriptEnabled = true, timeout = 10000 } = {}) {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: CHROMIUM_ARGS,
		timeout: 30000,
	});
	const context = await browser.newContext({ baseURL, javaScriptEnabled });
	context.setDefaultTimeout(timeout);
	if (!javaScriptEnabled) scriptless.add(context);
	const blocked = [];
	await keepInside(context, blocked);
	const page = await context.newPage();
	return { browser, context, page, blocked };
}

/**
 * Signs in through the form at /sign-in (labels "Username" and "Password",
 * button "Sign in") and waits for the page the form leads to.
 */
export async function signIn(page, user, password) {
	const res = await page.goto('/sign-in');
	if (!res || !res.ok()) throw new Error(`GET /sign-in answered ${res ? res.status() : 'nothing'}`);
	await page.getByLabel('Username', { exact: true }).fill(user);
	await page.getByLabel('Password', { exact: true }).fill(password);
	const navigated = page.waitForEvent('framenavigated', {
		predicate: (frame) => frame === page.mainFrame(),
	});
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await navigated;
	await page.waitForLoadState('load');
}

/**
 * Runs axe-core on the page as it is now, with the WCAG 2.2 AA tags; throws
 * an Error listing every violation (rule, impact, help, the elements) if any.
 * A page from a launch() with JavaScript off is checked through a copy (below).
 */
export async function checkA11y(page, name) {
	const results = scriptless.has(page.context())
		? await axeOnCopy(page)
		: await new AxeBuilder({ page }).withTags(A11Y_TAGS).analyze();
	const v = results.violations;
	if (v.length === 0) return;
	const lines = v.map((r) => {
		const targets = r.nodes.map((n) => `      ${[].concat(n.target).join(' >> ')}`);
		return `  ${r.id} (${r.impact}): ${r.help}\n    ${r.helpUrl}\n${targets.join('\n')}`;
	});
	throw new Error(
		`${name}: ${v.length} accessibility violation${v.length === 1 ? '' : 's'} at ${page.url()}\n${lines.join('\n')}`,
	);
}

// axe-core is JavaScript run in the page, and with JavaScript off chromium runs
// none of it: playwright's evaluate never starts, and in a CDP isolated world
// axe's timers never fire. So the page as it stands (its DOM, serialised) is
// loaded again at the same address, with the same cookies and viewport, in a
// context where JavaScript is on but a Content-Security-Policy of
// script-src 'none' refuses every script of the page, and <noscript> is
// unwrapped as a browser without JavaScript shows it; axe runs on that copy.
// Stylesheets, images and fonts come from the server as before.
async function axeOnCopy(page) {
	const at = new URL(/^https?:/.test(page.url()) ? page.url() : `${baseURL}/__a11y-copy`);
	at.hash = '';
	const html = (await page.content()).replace(/<\/?noscript\b[^>]*>/gi, '');
	const context = await page.context().browser().newContext({
		baseURL,
		viewport: page.viewportSize(),
	});
	try {
		context.setDefaultTimeout(10000);
		await context.addCookies(await page.context().cookies());
		await keepInside(context, []);
		let served = false;
		await context.route(
			(url) => !served && url.href === at.href,
			(route) => {
				served = true;
				return route.fulfill({
					status: 200,
					contentType: 'text/html; charset=utf-8',
					headers: { 'content-security-policy': "script-src 'none'" },
					body: html,
				});
			},
		);
		const copy = await context.newPage();
		await copy.goto(at.href);
		return await new AxeBuilder({ page: copy }).withTags(A11Y_TAGS).analyze();
	} finally {
		await context.close();
	}
}

/**
 * Saves a PNG of the page as SCREENSHOT_DIR/NAME.png; returns the path. The
 * whole page by default; { fullPage: false } keeps to the viewport (for
 * pictures of a fixed size, such as the README's).
 */
export async function shot(page, name, { fullPage = true } = {}) {
	await mkdir(screenshotDir, { recursive: true });
	const file = path.join(screenshotDir, `${name}.png`);
	await page.screenshot({ path: file, fullPage });
	return file;
}

/**
 * Keyboard only: presses Tab until the focused element matches `selector`
 * (a CSS selector), at most `max` times; throws if it never does. Returns the
 * elements passed on the way, each as "tag#id" or "tag 'text'", for tab-order
 * checks. Works with JavaScript off too.
 */
export async function tabTo(page, selector, max = 40) {
	const passed = [];
	for (let i = 0; i < max; i++) {
		await page.keyboard.press('Tab');
		const focused = page.locator(':focus');
		if ((await focused.count()) === 0) continue;
		if (await page.locator(`:is(${selector}):focus`).count()) return passed;
		const tag = await focused.first().evaluate((e) => e.tagName.toLowerCase()).catch(() => '?');
		const id = await focused.first().getAttribute('id');
		const text = (await focused.first().innerText().catch(() => '')).trim().slice(0, 40);
		passed.push(id ? `${tag}#${id}` : `${tag} '${text}'`);
	}
	throw new Error(`Tab never reached ${selector} in ${max} presses; passed: ${passed.join(', ')}`);
}
