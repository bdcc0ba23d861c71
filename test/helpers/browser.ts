/**
 * A real headless browser for tests and the demo: Debian's chromium (/usr/bin/chromium, installed by .ci/run),
 * driven by playwright-core (which downloads no browser). A fresh profile per launch, nothing in the background
 * that reaches the network.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface HeadlessBrowser {
  /** The browser's one context, on its own fresh profile directory. */
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<HeadlessBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-chromium-'));
  // A persistent context is how playwright takes a --user-data-dir: the fresh directory made above.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A full-page PNG of a local HTML file, as a reader's browser shows it. */
export async function screenshotPage(htmlFile: string, pngFile: string): Promise<void> {
  const b = await launchChromium();
  try {
    const page = await b.context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    await page.screenshot({ path: pngFile, fullPage: true });
  } finally {
    await b.close();
  }
}
