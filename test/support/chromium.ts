// Debian's Chromium driven by playwright-core (TOOLCHAIN.md), with unpacked MV3 extensions loaded:
// shared by test/node/runtimes.test.ts and test/node/worker/extension.test.ts.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { type BrowserContext, chromium, type Page, type Worker } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
/** The bound on every browser wait: launch, navigation, clicks, service workers. */
export const BROWSER_TIMEOUT_MS = 10_000

/** Throws (never skips) when Chromium is missing: CI installs it, so its absence is a bug. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the browser tests need it. Install it with ` +
        '`apt-get install -y --no-install-recommends chromium` (.ci/run does this).'
    )
  }
}

/**
 * Launches headless Chromium on a fresh profile with the given unpacked extensions loaded.
 *
 * From TOOLCHAIN.md: no sandbox (root in CI), no GPU, no background traffic to Google. The
 * resolver rule answers every host name but `hosts` with "not found", without a DNS query.
 * Chromium writes into `~/.config/chromium`, hence `home`.
 *
 * @param options The profile folder, `HOME`, the extensions' folders and the resolvable hosts.
 */
export function launchWithExtensions(options: {
  profile: string
  home: string
  extensions: string[]
  hosts?: string[]
}): Promise<BrowserContext> {
  const hosts = options.hosts ?? ['127.0.0.1']
  const extensions = options.extensions.join(',')
  return chromium.launchPersistentContext(options.profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      `--host-resolver-rules=MAP * ~NOTFOUND , ${hosts.map((host) => `EXCLUDE ${host}`).join(' , ')}`,
      `--disable-extensions-except=${extensions}`,
      `--load-extension=${extensions}`,
    ],
    env: { ...process.env, HOME: options.home },
    timeout: BROWSER_TIMEOUT_MS,
  })
}

/**
 * The id Chromium gives an unpacked extension without a `key` in its manifest: the SHA-256 of
 * its folder's absolute path, first 32 hex digits, each written as a letter from a to p. Its
 * origin is `chrome-extension://<id>`.
 *
 * @param dir The folder loaded unpacked.
 */
export async function unpackedExtensionId(dir: string): Promise<string> {
  const hex = createHash('sha256')
    .update(await realpath(dir))
    .digest('hex')
    .slice(0, 32)
  return [...hex].map((digit) => String.fromCharCode(97 + Number.parseInt(digit, 16))).join('')
}

/**
 * The service worker of an extension, once it has started.
 *
 * @param context The browser.
 * @param id The extension's id; by default, the first extension's.
 */
export async function extensionServiceWorker(
  context: BrowserContext,
  id?: string
): Promise<Worker> {
  const matches = (worker: Worker) => {
    const url = new URL(worker.url())
    return url.protocol === 'chrome-extension:' && (id === undefined || url.host === id)
  }
  // Listening first, so a worker that starts between the two looks is not missed.
  const next = context.waitForEvent('serviceworker', {
    predicate: matches,
    timeout: BROWSER_TIMEOUT_MS,
  })
  const started = context.serviceWorkers().find(matches)
  if (started === undefined) return next
  next.catch(() => {})
  return started
}

/**
 * Submits the extension popup's form for `secretId` and waits for the answer, which replaces the
 * '…' shown meanwhile.
 *
 * @param popup The popup page (`chrome-extension://<id>/popup.html`).
 * @param secretId What to type in the form.
 * @returns The text the popup shows.
 */
export async function lookUpInPopup(popup: Page, secretId: string): Promise<string | null> {
  await popup.evaluate(() => {
    const result = document.querySelector('#result')
    if (result) result.textContent = ''
  })
  await popup.fill('#secret-id', secretId)
  await popup.click('button[type=submit]')
  await popup.waitForFunction(
    () => !['', '…'].includes(document.querySelector('#result')?.textContent ?? '')
  )
  return popup.textContent('#result')
}
