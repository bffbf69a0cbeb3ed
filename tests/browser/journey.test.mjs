// Issue 5's journey through the pages, as people use them: a practitioner
// finds Building Better Relationships, checks a person's eligibility and
// refers them; the provider accepts the referral, allocates it to a member of
// staff and records the start; the practitioner sees it in progress with its
// timeline, and the person's record. Once with JavaScript and once without,
// through the same function. Every distinct page reached is checked with
// axe-core (WCAG 2.2 AA) and saved as a screenshot named js-* or nojs-*.
// Then a commissioner changes a service through its form.
//
// Only what a person does: fields found by their labels, buttons and links
// by their role and name, addresses typed only for the error page. Each step
// waits for the address and the page's heading, so a slow (ASan) server is
// waited for rather than raced.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, checkA11y, shot, users } from './lib.mjs';

const TIMEOUT = 30000; // per action: the server may be the ASan build on a busy machine
const BBR = '/services/kss-crc/building-better-relationships';

const open = [];
after(async () => {
	await Promise.all(open.map((b) => b.browser.close()));
});
async function browser(options) {
	const b = await launch({ timeout: TIMEOUT, ...options });
	open.push(b);
	return b;
}

// the page's one h1, waited for; `name` a string (exact) or a RegExp
async function heading(page, name) {
	const h1 = page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' });
	await h1.waitFor();
	return h1;
}

// clicks and waits for the page the click leads to (a RegExp on the URL)
async function follow(page, locator, url) {
	await Promise.all([page.waitForURL(url, { waitUntil: 'load' }), locator.click()]);
}

// the pages one run has checked and saved, by name, to tell them apart
function recorder(page, prefix) {
	const seen = [];
	return {
		seen,
		async check(name) {
			assert.ok(!seen.includes(name), `${name} is recorded once`);
			seen.push(name);
			await checkA11y(page, `${prefix}${name}`);
			await shot(page, `${prefix}${name}`);
		},
	};
}

// throws with the step's name in front, so a failure says where it happened
async function step(name, fn) {
	try {
		return await fn();
	} catch (err) {
		err.message = `${name}: ${err.message}`;
		throw err;
	}
}

// The README's pictures (JavaScript on): the viewport alone, 1280 by 800,
// scrolled so that `top` (a locator), if given, is near the top of it.
async function readmeShot(page, name, top) {
	await page.setViewportSize({ width: 1280, height: 800 });
	if (top) await top.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 30));
	await shot(page, `readme-${name}`, { fullPage: false });
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.setViewportSize({ width: 1280, height: 720 });
}

async function signOut(page) {
	await follow(page, page.getByRole('button', { name: 'Sign out', exact: true }), /\/sign-in$/);
	await heading(page, 'Sign in');
}

// a CRN of this run alone: letters and digits, at most 16
function newCrn(js) {
	return `B${js ? 'J' : 'N'}${Date.now().toString(36).toUpperCase()}`.slice(0, 16);
}

const made = {}; // by run: { crn, reference, id } for the person page and later tests

async function journey(javaScriptEnabled) {
	const prefix = javaScriptEnabled ? 'js-' : 'nojs-';
	const { page, blocked } = await browser({ javaScriptEnabled });
	const rec = recorder(page, prefix);
	const crn = newCrn(javaScriptEnabled);
	const name = javaScriptEnabled ? 'Sam Taylor' : 'Alex Morgan';
	const pat = users.practitioner, hub = users.provider, kay = users.staff;
	assert.ok(pat.username && hub.username && kay.username, 'run.sh sets the accounts');
	let id, reference;

	// --- the practitioner finds the service ---
	await step('sign in as the practitioner', async () => {
		await page.goto('/sign-in');
		await heading(page, 'Sign in');
		await rec.check('sign-in');
		await signIn(page, pat.username, pat.password);
		await page.waitForURL(/\/services$/);
		await heading(page, 'Find a service');
		// GOV.UK Frontend's scripts ran, or did not
		const classes = await page.locator('body').getAttribute('class');
		assert.equal(/\bjs-enabled\b/.test(classes), javaScriptEnabled, `body class "${classes}"`);
		await rec.check('services');
	});

	await step('search for Building Better Relationships', async () => {
		await page.getByLabel('Search', { exact: true }).fill('building better');
		await follow(page, page.getByRole('button', { name: 'Apply filters' }), /\/services\?.*q=building\+better/);
		await heading(page, 'Find a service');
		const count = await page.locator('#result-count').innerText();
		assert.match(count, /Showing 1 to \d+ of \d+ services/);
		await rec.check('services-search');
		if (javaScriptEnabled) await readmeShot(page, 'services');
		const result = page.locator('li.app-result').filter({ hasText: 'KSS CRC' })
			.filter({ has: page.getByRole('link', { name: 'Building Better Relationships', exact: true }) });
		assert.equal(await result.count(), 1, 'one result from KSS CRC');
		await follow(page, result.getByRole('link', { name: 'Building Better Relationships', exact: true }),
			new RegExp(`${BBR}$`));
		await heading(page, 'Building Better Relationships');
		await page.getByText('Male service users with an index offence of intimate partner violence').waitFor();
		await rec.check('service');
		if (javaScriptEnabled) await readmeShot(page, 'service');
	});

	// --- checks the person's eligibility ---
	await step('check eligibility', async () => {
		await follow(page, page.getByRole('link', { name: "Check a person's eligibility" }), /\/eligibility\?service=/);
		await heading(page, 'Check eligibility');
		await rec.check('eligibility');
		// a wrong answer first: the error by its field, the answer kept
		await page.getByLabel('Age', { exact: true }).fill('thirty');
		await follow(page, page.getByRole('button', { name: 'Check eligibility', exact: true }), /\/eligibility$/);
		await heading(page, 'Check eligibility');
		assert.match(await page.title(), /^Error: /);
		await page.locator('.govuk-error-summary').getByRole('link').first().waitFor();
		assert.equal(await page.getByLabel('Age', { exact: true }).inputValue(), 'thirty');
		await rec.check('eligibility-error');
		await page.getByLabel('Age', { exact: true }).fill('30');
		await page.getByLabel('Sex', { exact: true }).selectOption({ label: 'Male' });
		await page.getByLabel('Probation region', { exact: true }).selectOption({ label: 'Kent, Surrey and Sussex' });
		await page.getByLabel('County or local area', { exact: true }).fill('Kent');
		await page.getByLabel('Index offence', { exact: true }).selectOption({ label: 'Intimate partner violence' });
		await page.getByLabel('SARA', { exact: true }).selectOption({ label: 'Medium' });
		await page.getByLabel('OASys thinking and behaviour total', { exact: true }).fill('8');
		await page.getByLabel('OASys item 11.6 (impulsivity)', { exact: true }).fill('2');
		await page.getByRole('group', { name: 'Circumstances that apply' })
			.getByLabel('None of these', { exact: true }).check();
		await follow(page, page.getByRole('button', { name: 'Check eligibility', exact: true }), /\/eligibility$/);
		await heading(page, 'Eligibility results');
		await page.getByRole('heading', { level: 2, name: 'Eligible (1)' }).waitFor();
		const card = page.locator('.govuk-summary-card')
			.filter({ has: page.getByRole('link', { name: 'Building Better Relationships', exact: true }) });
		assert.equal(await card.count(), 1, 'one result card for the service');
		const result = card.locator('.govuk-summary-list__row').filter({ hasText: 'Result' });
		assert.match(await result.innerText(), /Eligible/);
		// each criterion in the brochure's words, with its outcome
		const criteria = card.locator('.govuk-summary-list__row').filter({ hasText: 'Who it is for' }).locator('li');
		const lines = (await criteria.allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
		for (const words of [
			'Male service users with an index offence of intimate partner violence',
			'Moderate or above on Spousal Assault Assessment Tool (SARA)',
			'OASys total score >7',
		])
			assert.ok(lines.includes(`Met ${words}`), `"Met ${words}" in ${JSON.stringify(lines)}`);
		const unsuitable = card.locator('.govuk-summary-list__row').filter({ hasText: 'Not suitable for' }).locator('li');
		assert.ok((await unsuitable.allInnerTexts()).some((s) => /^Not met\s+Women service users/.test(s.trim())));
		// the profile as checked
		const checked = page.locator('dl').first();
		assert.match(await checked.innerText(), /Index offence\s+Intimate partner violence/);
		await rec.check('eligibility-results');
		if (javaScriptEnabled) await readmeShot(page, 'eligibility', page.getByRole('heading', { level: 2, name: 'Eligible (1)' }));
	});

	// --- refers them ---
	await step('who are you referring', async () => {
		await follow(page, page.getByRole('link', { name: 'Refer to Building Better Relationships, KSS CRC' }),
			/\/referrals\/new\?service=/);
		await heading(page, 'Who are you referring?');
		await rec.check('referral-new');
		// nothing filled in: the error summary, focused by GOV.UK Frontend when it runs
		await follow(page, page.getByRole('button', { name: 'Continue', exact: true }), /\/referrals\/new$/);
		await heading(page, 'Who are you referring?');
		assert.match(await page.title(), /^Error: /);
		const summary = page.locator('.govuk-error-summary');
		assert.ok(await summary.getByRole('link', { name: /CRN|case reference/i }).count(), 'the summary names the CRN');
		if (javaScriptEnabled)
			assert.ok(await summary.evaluate((e) => e === document.activeElement), 'the error summary has focus');
		await rec.check('referral-new-error');
		await page.getByLabel('Case reference number (CRN)').fill(crn);
		await page.getByLabel('Full name', { exact: true }).fill(name);
		const dob = page.getByRole('group', { name: 'Date of birth' });
		await dob.getByLabel('Day', { exact: true }).fill('14');
		await dob.getByLabel('Month', { exact: true }).fill('2');
		await dob.getByLabel('Year', { exact: true }).fill('1995');
		await follow(page, page.getByRole('button', { name: 'Continue', exact: true }), /\/referrals\/\d+$/);
		id = new URL(page.url()).pathname.split('/')[2];
		await heading(page, 'Make a referral');
		await page.getByText(`${name} (CRN ${crn})`, { exact: false }).first().waitFor();
		assert.equal(await page.locator('#task-details-status').innerText(), 'Not started');
		await rec.check('referral-tasks');
	});

	await step('referral details', async () => {
		await follow(page, page.getByRole('link', { name: 'Referral details', exact: true }), new RegExp(`/referrals/${id}/details$`));
		await heading(page, 'Referral details');
		await rec.check('referral-details');
		await page.getByLabel('Risk', { exact: true }).fill('Medium risk of serious harm to a partner.\nNo known risk to staff.');
		await page.getByLabel('Support required', { exact: true }).fill('Evening sessions: works days.');
		await page.getByRole('group', { name: 'Priority' }).getByLabel('High', { exact: true }).check();
		await page.getByLabel('Location (optional)').fill('Maidstone');
		const end = page.getByRole('group', { name: 'Expected end date (optional)' });
		await end.getByLabel('Day', { exact: true }).fill('1');
		await end.getByLabel('Month', { exact: true }).fill('5');
		await end.getByLabel('Year', { exact: true }).fill('2099');
		await follow(page, page.getByRole('button', { name: 'Save and continue' }), new RegExp(`/referrals/${id}$`));
		await heading(page, 'Make a referral');
		assert.equal(await page.locator('#task-details-status').innerText(), 'Completed');
		// the task list once the details are in: a page of its own for axe
		await rec.check('referral-tasks-done');
	});

	await step('check your answers and send', async () => {
		await follow(page, page.getByRole('link', { name: 'Check answers and send' }), new RegExp(`/referrals/${id}/check$`));
		await heading(page, 'Check your answers before sending the referral');
		await page.getByText('Medium risk of serious harm to a partner.').waitFor();
		await page.getByText('1 May 2099').waitFor();
		await rec.check('referral-check');
		await follow(page, page.getByRole('button', { name: 'Send referral' }), new RegExp(`/referrals/${id}/sent$`));
		await heading(page, 'Referral sent');
		reference = (await page.locator('.govuk-panel__body strong').innerText()).trim();
		assert.match(reference, /^[A-Z0-9]{8}$/, 'the confirmation shows a reference');
		await rec.check('referral-sent');
		await signOut(page);
	});

	// --- the provider works it ---
	await step('the provider opens the inbox', async () => {
		await signIn(page, hub.username, hub.password);
		await follow(page, page.getByRole('link', { name: 'Referrals', exact: true }), /\/referrals$/);
		await heading(page, 'New referrals');
		const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: reference, exact: true }) });
		assert.equal(await row.count(), 1, `the inbox lists ${reference}`);
		assert.match(await row.innerText(), new RegExp(`${name}[\\s\\S]*CRN ${crn}[\\s\\S]*Referred`));
		await rec.check('inbox');
		await follow(page, row.getByRole('link', { name: reference, exact: true }), new RegExp(`/referrals/${id}$`));
		await heading(page, new RegExp(`^Referral ${reference}\\s+Referred$`));
		await rec.check('referral-provider');
	});

	await step('accept', async () => {
		await follow(page, page.getByRole('link', { name: `Accept referral ${reference}` }), new RegExp(`/referrals/${id}/actions/accept$`));
		await heading(page, 'Are you sure you want to accept this referral?');
		await rec.check('referral-accept');
		await follow(page, page.getByRole('button', { name: 'Yes, accept the referral' }), /\?done=accepted$/);
		await heading(page, new RegExp(`^Referral ${reference}\\s+Accepted$`));
		await page.getByRole('alert').filter({ hasText: 'Referral accepted' }).waitFor();
		await rec.check('referral-accepted');
	});

	await step('allocate', async () => {
		await page.getByLabel('Allocate to (username of a member of your staff)').fill(kay.username);
		await follow(page, page.getByRole('button', { name: 'Allocate', exact: true }), /\?done=allocated$/);
		await page.getByRole('alert').filter({ hasText: `Referral allocated to ${kay.username}` }).waitFor();
		const allocation = page.locator('.govuk-summary-list__row').filter({ hasText: 'Allocation' });
		assert.match(await allocation.innerText(), new RegExp(kay.username));
	});

	await step('record the start', async () => {
		await follow(page, page.getByRole('link', { name: `Record the start ${reference}` }), new RegExp(`/referrals/${id}/actions/start$`));
		await heading(page, 'Are you sure you want to start this referral?');
		await rec.check('referral-start');
		await follow(page, page.getByRole('button', { name: 'Yes, start it' }), /\?done=started$/);
		await heading(page, new RegExp(`^Referral ${reference}\\s+In progress$`));
		await page.getByRole('alert').filter({ hasText: 'Referral started' }).waitFor();
		await signOut(page);
	});

	// --- the practitioner sees the new status ---
	await step('the practitioner sees it in progress', async () => {
		await signIn(page, pat.username, pat.password);
		await follow(page, page.getByRole('link', { name: 'Referrals', exact: true }), /\/referrals$/);
		await heading(page, "Your team's referrals");
		const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: reference, exact: true }) });
		assert.equal(await row.count(), 1, `the team's list has ${reference}`);
		assert.match(await row.locator('strong.govuk-tag').innerText(), /^In progress$/);
		await rec.check('referrals');
		await follow(page, row.getByRole('link', { name: reference, exact: true }), new RegExp(`/referrals/${id}$`));
		await heading(page, new RegExp(`^Referral ${reference}\\s+In progress$`));
		const titles = (await page.locator('.moj-timeline__title').allInnerTexts()).map((s) => s.trim());
		// newest first
		for (const t of ['Referral started', `Allocated to ${kay.username}`, 'Referral accepted', 'Referral sent'])
			assert.ok(titles.includes(t), `the timeline has "${t}": ${JSON.stringify(titles)}`);
		assert.ok(titles.indexOf('Referral started') < titles.indexOf('Referral accepted'), 'newest first');
		const bylines = await page.locator('.moj-timeline__item')
			.filter({ hasText: 'Referral accepted' }).locator('.moj-timeline__byline').innerText();
		assert.match(bylines, new RegExp(`by ${hub.username}`));
		const allocation = page.locator('.govuk-summary-list__row').filter({ hasText: 'Allocation' });
		assert.match(await allocation.innerText(), new RegExp(kay.username));
		await rec.check('referral');
		if (javaScriptEnabled) await readmeShot(page, 'referral', page.getByRole('heading', { level: 2, name: 'History' }));
	});

	await step('the person', async () => {
		await follow(page, page.getByRole('link', { name: 'People', exact: true }), /\/people$/);
		await heading(page, 'Find a person');
		await rec.check('people');
		await page.getByLabel('Case reference number (CRN)').fill(crn);
		await follow(page, page.getByRole('button', { name: 'Find', exact: true }), new RegExp(`/people/${crn}$`));
		await heading(page, name);
		const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: reference, exact: true }) });
		assert.equal(await row.count(), 1, `the person's referrals list ${reference}`);
		assert.match(await row.innerText(), /Building Better Relationships[\s\S]*In progress/);
		assert.match(await page.locator('.govuk-summary-list__row').filter({ hasText: 'Date of birth' }).innerText(), /1995/);
		await rec.check('person');
	});

	await step('the error page and the accessibility statement', async () => {
		const res = await page.goto('/referrals/999999999');
		assert.equal(res.status(), 404);
		await heading(page, 'Page not found');
		await rec.check('not-found');
		await follow(page, page.getByRole('link', { name: 'Accessibility statement' }), /\/accessibility$/);
		await heading(page, 'Accessibility statement for ratecard');
		await rec.check('accessibility');
		await signOut(page);
	});

	assert.deepEqual(blocked, [], 'requests outside the server');
	made[prefix] = { crn, reference, id };
	return rec.seen;
}

const runs = {};
for (const javaScriptEnabled of [true, false]) {
	const how = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
	test(`find, check, refer; accept, allocate, start; see it in progress (${how})`, async () => {
		runs[javaScriptEnabled] = await journey(javaScriptEnabled);
	});
}

test('both runs checked the same pages', () => {
	assert.ok(runs[true] && runs[false], 'both journeys ran');
	assert.deepEqual(runs[false], runs[true]);
	assert.ok(runs[true].length >= 20, `${runs[true].length} pages`);
});

test('a commissioner changes a service through its form', async () => {
	const { page, blocked } = await browser();
	const rec = recorder(page, 'js-');
	const comm = users.commissioner;
	await signIn(page, comm.username, comm.password);
	await page.getByLabel('Search', { exact: true }).fill('domestic abuse programme');
	await follow(page, page.getByRole('button', { name: 'Apply filters' }), /\/services\?/);
	const result = page.locator('li.app-result').filter({ hasText: 'KSS CRC' })
		.getByRole('link', { name: 'Domestic Abuse Programme', exact: true });
	await follow(page, result, /\/services\/kss-crc\/domestic-abuse-programme$/);
	await heading(page, 'Domestic Abuse Programme');
	const version = Number((await page.getByText(/Version \d+ of this entry/).innerText()).match(/Version (\d+) of/)[1]);

	await follow(page, page.getByRole('link', { name: 'Change availability, prices or status' }), /\/edit$/);
	await heading(page, 'Change availability, prices or status');
	await rec.check('service-edit');

	// without a reason: the error summary names the field and links to it
	await follow(page, page.getByRole('button', { name: 'Save a new version' }), /\/edit$/);
	await heading(page, 'Change availability, prices or status');
	const summary = page.locator('.govuk-error-summary');
	await summary.getByRole('link', { name: 'Enter why you are making this change' }).waitFor();
	assert.match(await page.title(), /^Error: /);
	await rec.check('service-edit-error');
	await summary.getByRole('link', { name: 'Enter why you are making this change' }).click();
	assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'note');

	// a new price in the blank last row, and the reason
	const rows = page.getByRole('group', { name: /^Price \d+$/ });
	const last = rows.nth((await rows.count()) - 1);
	await last.getByLabel('Per', { exact: true }).selectOption({ index: 1 });
	await last.getByLabel('Amount in pounds').fill('123.45');
	await last.getByLabel('Valid from (YYYY-MM-DD)').fill('2026-04-01');
	await page.getByLabel('Why are you making this change?').fill('Browser test: the 2026 price');
	await follow(page, page.getByRole('button', { name: 'Save a new version' }),
		/\/services\/kss-crc\/domestic-abuse-programme\?/);
	await heading(page, 'Domestic Abuse Programme');
	await page.getByRole('alert').filter({ hasText: `It is now version ${version + 1}.` }).waitFor();
	const price = page.getByRole('table', { name: 'Prices' }).getByRole('row').filter({ hasText: '123.45' });
	assert.equal(await price.count(), 1, 'the new price is shown');
	assert.match(await price.innerText(), /2026-04-01|1 April 2026/);
	const history = page.getByRole('table', { name: 'Versions of this service' });
	const latest = history.getByRole('row').nth(1); // newest first, after the header
	assert.match(await latest.innerText(), new RegExp(`^${version + 1}\\s+\\d{1,2} [A-Z][a-z]+ \\d{4}\\s+${comm.username}\\s+active\\s+Browser test: the 2026 price$`));
	await rec.check('service-changed');
	assert.deepEqual(blocked, [], 'requests outside the server');
});
