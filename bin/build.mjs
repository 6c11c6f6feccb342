// Builds dist/: JavaScript and declarations with tsc, then marks the CLI executable.
import { execFileSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'

rmSync('dist', { recursive: true, force: true })
execFileSync('tsc', ['-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
})
chmodSync('dist/node/emulator-cli.js', 0o755)
