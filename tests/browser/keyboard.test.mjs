// The referral flow with the keyboard alone: Tab, Shift+Tab, Space, Enter,
// arrow keys and typing. On each question page the skip link is the first
// tab stop and takes focus to the main content; from there Tab reaches every
// control of the form in order, each with a visible focus indicator (GOV.UK's
// yellow), and the form is sent with Enter. With JavaScript and without.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, shot, tabTo, users } from './lib.mjs';

const TIMEOUT = 30000;
const BBR = '/services/kss-crc/building-better-relationships';
const FOCUS_YELLOW = 'rgb(255, 221, 0)'; // GOV.UK's focus colour

const open = [];
after(async () => {
	await Promise.all(open.map((b) => b.browser.close()));
});

// what has focus, as "tag#id" or "tag 'text'"
function describeFocus(page) {
	return page.evaluate(() => {
		const e = document.activeElement;
		if (!e || e === document.body) return 'nothing';
		const tag = e.tagName.toLowerCase();
		return e.id ? `${tag}#${e.id}` : `${tag} '${(e.innerText || e.value || '').trim().slice(0, 40)}'`;
	});
}

// null when the focused element shows GOV.UK's focus indicator and is on
// screen; else what is wrong. Radios and checkboxes draw it on their label.
function focusProblem(page) {
	return page.evaluate((yellow) => {
		const e = document.activeElement;
		if (!e || e === document.body) return 'nothing has focus';
		const box = e.getBoundingClientRect();
		if (box.width < 2 || box.height < 2) return `${e.tagName} is ${box.width}x${box.height}`;
		if (box.bottom <= 0 || box.top >= window.innerHeight || box.right <= 0 || box.left >= window.innerWidth)
			return `${e.tagName} is outside the viewport`;
		const [el, pseudo] = e.matches('.govuk-radios__input, .govuk-checkboxes__input') && e.labels[0]
			? [e.labels[0], '::before'] : [e, null];
		const s = getComputedStyle(el, pseudo);
		const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && s.outlineColor === yellow;
		if (outlined || s.boxShadow.includes(yellow) || s.backgroundColor === yellow) return null;
		return `no focus indicator on ${e.tagName}#${e.id}: outline ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}, box-shadow ${s.boxShadow}, background ${s.backgroundColor}`;
	}, FOCUS_YELLOW);
}

async function assertFocusVisible(page, where) {
	const problem = await focusProblem(page);
	assert.equal(problem, null, `${where}: ${await describeFocus(page)}`);
}

// presses `key` and waits for the page it leads to
async function pressAndWait(page, key, url) {
	await Promise.all([page.waitForURL(url, { waitUntil: 'load' }), page.keyboard.press(key)]);
}

// A fresh page: the first Tab reaches the skip link, which shows; Enter moves
// focus to <main> (GOV.UK's skip link script) or, without JavaScript, moves
// the starting point of sequential focus there, so the next Tab is inside it.
async function skipToMain(page, javaScriptEnabled, where) {
	await page.keyboard.press('Tab');
	assert.equal(await describeFocus(page), "a 'Skip to main content'", `${where}: the first tab stop`);
	await assertFocusVisible(page, `${where}: the skip link`);
	await page.keyboard.press('Enter');
	assert.match(page.url(), /#main-content$/, `${where}: the skip link's target`);
	if (javaScriptEnabled)
		assert.equal(await describeFocus(page), 'main#main-content', `${where}: focus after the skip link`);
}

// Tabs through a form from the start of <main>: each Tab must land on the
// next of `controls` ([selector, what to do there]) with focus visible.
async function tabThrough(page, controls, where) {
	for (const [selector, act] of controls) {
		await page.keyboard.press('Tab');
		const at = await describeFocus(page);
		assert.ok(await page.locator(`:is(${selector}):focus`).count(), `${where}: Tab reached ${at}, expected ${selector}`);
		await assertFocusVisible(page, `${where}: ${selector}`);
		if (act) await act();
	}
}

const type = (page, text) => () => page.keyboard.type(text);

for (const javaScriptEnabled of [true, false]) {
	const how = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
	const prefix = javaScriptEnabled ? 'kbd-js-' : 'kbd-nojs-';
	test(`a referral made with the keyboard alone (${how})`, async () => {
		const b = await launch({ javaScriptEnabled, timeout: TIMEOUT });
		open.push(b);
		const { page } = b;
		const crn = `K${javaScriptEnabled ? 'J' : 'N'}${Date.now().toString(36).toUpperCase()}`.slice(0, 16);
		await signIn(page, users.practitioner.username, users.practitioner.password);

		// the service page, typed as an address; its "Refer a person" link by Tab and Enter
		await page.goto(BBR);
		await page.getByRole('heading', { level: 1, name: 'Building Better Relationships' }).waitFor();
		await tabTo(page, 'a[href^="/referrals/new"]');
		await assertFocusVisible(page, 'Refer a person');
		await pressAndWait(page, 'Enter', /\/referrals\/new\?service=/);

		// who are you referring?
		await page.getByRole('heading', { level: 1, name: 'Who are you referring?' }).waitFor();
		await skipToMain(page, javaScriptEnabled, 'who');
		await tabThrough(page, [
			['#crn', type(page, crn)],
			['#name', type(page, 'Robin Keys')],
			['#dob-day', type(page, '3')],
			['#dob-month', type(page, '11')],
			['#dob-year', type(page, '1988')],
			['button[type="submit"]'],
		], 'who');
		await shot(page, `${prefix}who`);
		await pressAndWait(page, 'Enter', /\/referrals\/\d+$/);
		const ref = new URL(page.url()).pathname;

		// the task list: its "Referral details" link
		await page.getByRole('heading', { level: 1, name: 'Make a referral' }).waitFor();
		await skipToMain(page, javaScriptEnabled, 'task list');
		const passed = await tabTo(page, `a[href="${ref}/details"]`);
		assert.deepEqual(passed, [], `the details link is the first link in main: ${passed.join(', ')}`);
		await assertFocusVisible(page, 'the details link');
		await pressAndWait(page, 'Enter', new RegExp(`${ref}/details$`));

		// referral details: Shift+Tab back to fix the first answer, a radio by Space and arrows
		await page.getByRole('heading', { level: 1, name: 'Referral details' }).waitFor();
		await skipToMain(page, javaScriptEnabled, 'details');
		await tabThrough(page, [
			['#risk', type(page, 'None known')],
			['#support', type(page, 'Evening sessions')],
		], 'details');
		await page.keyboard.press('Shift+Tab');
		assert.equal(await describeFocus(page), 'textarea#risk', 'Shift+Tab goes back to Risk');
		await assertFocusVisible(page, 'Risk again');
		await page.keyboard.type(' to staff or the public.');
		await page.keyboard.press('Tab');
		assert.equal(await describeFocus(page), 'textarea#support', 'Tab forward again');
		await tabThrough(page, [
			// the group's first radio (none is chosen yet): Space chooses it, an arrow moves the choice
			['input[name="priority"][value="high"]', async () => {
				await page.keyboard.press('Space');
				assert.ok(await page.locator('input[name="priority"][value="high"]').isChecked(), 'Space chose High');
				await page.keyboard.press('ArrowDown');
				assert.ok(await page.locator('input[name="priority"][value="medium"]').isChecked(), 'ArrowDown chose Medium');
				await assertFocusVisible(page, 'Medium');
			}],
			// one tab stop for the whole group
			['#urgency', type(page, 'Before the order ends')],
			['#location', type(page, 'Canterbury')],
			['#end-day', type(page, '30')],
			['#end-month', type(page, '6')],
			['#end-year', type(page, '2099')],
			['button[type="submit"]'],
		], 'details');
		await shot(page, `${prefix}details`);
		await pressAndWait(page, 'Enter', new RegExp(`${ref}$`));

		// back on the task list: "Check answers and send"
		await page.getByRole('heading', { level: 1, name: 'Make a referral' }).waitFor();
		await tabTo(page, `a[href="${ref}/check"]`, 60);
		await assertFocusVisible(page, 'the check link');
		await pressAndWait(page, 'Enter', new RegExp(`${ref}/check$`));

		// check your answers: every Change link on the way to Send, each visible; Space sends
		await page.getByRole('heading', { level: 1, name: 'Check your answers before sending the referral' }).waitFor();
		assert.match(await page.locator('main').innerText(), /None known to staff or the public\./);
		assert.match(await page.locator('main').innerText(), /30 June 2099/);
		await skipToMain(page, javaScriptEnabled, 'check');
		let stops = 0;
		for (;;) {
			await page.keyboard.press('Tab');
			await assertFocusVisible(page, `check, tab stop ${++stops}`);
			if (await page.locator('#send:focus').count()) break;
			assert.ok(stops < 30, 'Tab reaches Send referral');
		}
		await page.keyboard.press('Space');
		await page.waitForURL(new RegExp(`${ref}/sent$`), { waitUntil: 'load' });
		await page.getByRole('heading', { level: 1, name: 'Referral sent' }).waitFor();
		assert.match(await page.locator('.govuk-panel__body').innerText(), /[A-Z0-9]{8}/);
		await shot(page, `${prefix}sent`);
	});
}
