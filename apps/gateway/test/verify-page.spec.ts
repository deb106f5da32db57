import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { text, withPngChunks } from '../../../libs/provenance/test/support/containers';
import { A1111_PARAMETERS } from '../../../libs/provenance/test/support/fixtures';
import { launchChromium, openWatchedPage } from './support/chromium';
import { API_KEY, DetectorWorkerUnderTest, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

/**
 * The verify page (apps/gateway/web/verify, served by src/web) in headless Chromium against the real
 * gateway (Chromium: see support/chromium.ts).
 */
const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** A PNG as AUTOMATIC1111 saves it: a `parameters` tEXt chunk right after IHDR. */
async function a1111Png(): Promise<Buffer> {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .png()
    .toBuffer();
  return withPngChunks(png, [text('parameters', A1111_PARAMETERS)]);
}

describe('the verify page', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: DetectorWorkerUnderTest;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform({ echoWorker: false }), launchChromium()]);
    gateway = platform.gateway;
    worker = await DetectorWorkerUnderTest.start(platform.stores.prefix);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await platform?.close();
  });

  beforeEach(async () => {
    ({ context, page, problems } = await openWatchedPage(browser, { viewport: { width: 1024, height: 800 } }));
  });

  afterEach(() => context.close());

  it('loads under its strict CSP with no console errors, its assets typed and cached, nothing else reachable', async () => {
    const response = await page.goto(`${gateway.baseUrl}/verify`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toBe(CSP);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-cache');
    await expect(page.locator('h1').textContent()).resolves.toContain('AI-generated');
    const assets = await page.evaluate<string[]>(
      "[...document.querySelectorAll('script[src]')].map((node) => node.src).concat([...document.querySelectorAll('link[rel=stylesheet]')].map((node) => node.href))",
    );
    expect(assets).toHaveLength(2);
    for (const url of assets) {
      const asset = await fetch(url);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe(url.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(await page.locator('script:not([src])').count()).toBe(0);

    for (const path of [
      '/verify/nope.js',
      '/verify/..%2Fpackage.json',
      '/verify/%2e%2e%2f%2e%2e%2fpackage.json',
      '/verify/index.html',
      '/verify/../package.json',
    ]) {
      const missing = await fetch(gateway.baseUrl + path);
      expect([path, missing.status]).toEqual([path, 404]);
      expect(await missing.json()).toMatchObject({ code: 'not_found' });
    }
    expect(problems).toEqual([]);
  });

  it('keeps the API key in session storage only', async () => {
    await page.goto(`${gateway.baseUrl}/verify`);
    await page.fill('#api-key', API_KEY);
    const stored = await page.evaluate<{ session: Record<string, string>; local: number; cookie: string; url: string }>(
      '({ session: Object.fromEntries(Object.entries(sessionStorage)), local: localStorage.length, cookie: document.cookie, url: location.href })',
    );
    expect(Object.values(stored.session)).toEqual([API_KEY]);
    expect(stored.local).toBe(0);
    expect(stored.cookie).toBe('');
    expect(stored.url).not.toContain(API_KEY);
    expect((await context.cookies()).length).toBe(0);
    // The same tab gets it back after a reload; forgetting it clears it.
    await page.reload();
    expect(await page.inputValue('#api-key')).toBe(API_KEY);
    await page.click('#forget-key');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(problems).toEqual([]);
  });

  it('fits a 375-px-wide phone screen without horizontal scrolling, with touch-sized controls', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${gateway.baseUrl}/verify`);
    // A long unbroken file name and an error must wrap too.
    await page.setInputFiles('#file', { name: `${'x'.repeat(120)}.png`, mimeType: 'image/png', buffer: await a1111Png() });
    await page.click('#submit');
    await page.locator('#error').waitFor();
    expect(await page.textContent('#error')).toBe('Enter your API key first.');
    const widths = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    for (const control of ['#api-key', '#forget-key', '#source-url', '#submit', '#drop-zone']) {
      const box = await page.locator(control).boundingBox();
      expect([control, box!.height >= 44]).toEqual([control, true]);
    }
    // The drop zone is a keyboard control: focusable, and named for assistive technology.
    await page.focus('#drop-zone');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('drop-zone');
    expect(await page.getAttribute('#status', 'aria-live')).toBe('polite');
    expect(problems).toEqual([]);
  });

  it('asks for a key and an image before sending anything', async () => {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${gateway.baseUrl}/verify`);
    await page.click('#submit');
    expect(await page.textContent('#error')).toBe('Enter your API key first.');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('api-key');
    await page.fill('#api-key', API_KEY);
    await page.click('#submit');
    expect(await page.textContent('#error')).toBe('Choose an image first.');
    // Keyboard only: Enter on the focused drop zone opens the file picker.
    const chooser = page.waitForEvent('filechooser');
    await page.focus('#drop-zone');
    await page.keyboard.press('Enter');
    await (await chooser).setFiles({ name: 'lighthouse.png', mimeType: 'image/png', buffer: await a1111Png() });
    expect(await page.textContent('#file-name')).toContain('lighthouse.png');
    await page.locator('#preview').waitFor();
    expect(await page.getAttribute('#preview', 'src')).toMatch(/^blob:/);
    expect(requests.filter((url) => url.includes('/v1/'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('shows the 401 message when the key is wrong', async () => {
    await page.goto(`${gateway.baseUrl}/verify`);
    await page.fill('#api-key', 'not-a-valid-key');
    await page.setInputFiles('#file', { name: 'lighthouse.png', mimeType: 'image/png', buffer: await a1111Png() });
    await page.locator('#preview').waitFor();
    await page.click('#submit');
    await page.locator('#error').waitFor();
    expect(await page.textContent('#error')).toContain('The API key was refused: enter a valid API key.');
    expect(await page.isEnabled('#submit')).toBe(true);
    expect(await page.isHidden('#result')).toBe(true);
    // The failed request is the only console error: Chromium logs every 4xx resource.
    expect(problems.filter((problem) => !problem.includes('401'))).toEqual([]);
  });

  it('uploads an image and shows the verdict and the evidence', async () => {
    await page.goto(`${gateway.baseUrl}/verify`);
    await page.fill('#api-key', API_KEY);
    await page.setInputFiles('#file', { name: 'lighthouse.png', mimeType: 'image/png', buffer: await a1111Png() });
    await page.fill('#source-url', 'https://example.com/gallery/lighthouse');
    await page.click('#submit');
    await page.locator('#result').waitFor({ timeout: 20_000 });
    expect(await page.textContent('#verdict')).toBe('AI-generated');
    expect(await page.textContent('#decided-by')).toMatch(/evidence/i);
    const evidence = await page.textContent('#evidence');
    expect(evidence).toContain('PNG text chunk');
    expect(evidence).toContain('strong');
    // The meaning (web/verify/evidence-meaning.ts) of whatever kind the analyser names the A1111 chunk.
    expect(evidence).toMatch(/A text chunk in the PNG (holds|was written by)/);
    expect(await page.textContent('#sha256')).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.isEnabled('#submit')).toBe(true);
    expect(problems).toEqual([]);
  });
});
