// The harness end to end: the sign-in page is there, accessible, and takes a
// practitioner to the services directory, with JavaScript and without, and
// with the keyboard alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, checkA11y, shot, tabTo, users } from './lib.mjs';

const open = [];
after(async () => {
	await Promise.all(open.map((b) => b.browser.close()));
});
async function browser(options) {
	const b = await launch(options);
	open.push(b);
	return b;
}

test('the sign-in page has one h1, "Sign in", and no accessibility violations', async () => {
	const { page, blocked } = await browser();
	const res = await page.goto('/sign-in');
	assert.equal(res.status(), 200);
	const h1 = await page.locator('h1').allInnerTexts();
	assert.deepEqual(h1.map((s) => s.trim()), ['Sign in']);
	await shot(page, 'sign-in');
	await checkA11y(page, 'sign-in');
	assert.deepEqual(blocked, [], 'requests outside the server');
});

for (const javaScriptEnabled of [true, false]) {
	const how = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
	test(`a practitioner signs in and lands on /services (${how})`, async () => {
		const { page, blocked } = await browser({ javaScriptEnabled });
		const { username, password } = users.practitioner;
		assert.ok(username && password, 'RATECARD_PRACTITIONER_USER and _PASSWORD are set');
		if (!javaScriptEnabled) {
			await page.goto('/sign-in');
			await shot(page, 'sign-in-no-js');
			await checkA11y(page, 'sign-in without JavaScript');
		}
		await signIn(page, username, password);
		assert.match(new URL(page.url()).pathname, /^\/services/);
		if (javaScriptEnabled) await shot(page, 'services');
		assert.deepEqual(blocked, [], 'requests outside the server');
	});
}

for (const javaScriptEnabled of [true, false]) {
	const how = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
	test(`signing in with the keyboard alone (${how})`, async () => {
		const { page } = await browser({ javaScriptEnabled });
		const { username, password } = users.practitioner;
		await page.goto('/sign-in');
		const before = await tabTo(page, 'input[autocomplete="username"], input[name="username"]');
		assert.ok(before.length < 10, `Username is reached early: ${before.join(', ')}`);
		await page.keyboard.type(username);
		await tabTo(page, 'input[type="password"]', 3);
		await page.keyboard.type(password);
		const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
		await page.keyboard.press('Enter');
		await navigated;
		assert.match(new URL(page.url()).pathname, /^\/services/);
	});
}
