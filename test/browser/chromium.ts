import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's chromium package (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** One headless Chromium with a fresh profile, no network of its own (no updates, sync or QUIC). */
export async function startChromium(): Promise<RunningBrowser> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'bonsai-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go (kept as CI artifacts; ignored by git). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');
