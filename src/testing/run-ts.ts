// A TypeScript entry point (the server, a script, a CLI) in a child process, for the tests that
// prove what a real process prints and how it exits. Node loads tsx's loader itself: one process
// per run, where the tsx command starts two (its own, then the program's), which cost about a
// second of CPU more on every start.
import { execFile, type ExecFileOptions } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const TSX_LOADER = pathToFileURL(path.resolve('node_modules/tsx/dist/loader.mjs')).href

/** What a child process left behind: its exit code (0 on success), stdout and stderr. */
export interface TsRun {
  code: number
  stdout: string
  stderr: string
}

/** The command and arguments that run `script` under tsx (for spawn, when a test reads the output as it comes). */
export function tsCommand(script: string, args: string[] = []): [string, string[]] {
  return [process.execPath, ['--import', TSX_LOADER, script, ...args]]
}

/** Runs `script` to its end; resolves with its exit code and output, whether it succeeded or not. */
export async function runTs(script: string, args: string[] = [], opts: ExecFileOptions = {}): Promise<TsRun> {
  const [command, argv] = tsCommand(script, args)
  return promisify(execFile)(command, argv, { encoding: 'utf8', ...opts }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout: stdout.toString(), stderr: stderr.toString() }),
    (e: unknown) => {
      const failed = e as { code?: unknown; stdout?: string; stderr?: string }
      // A process that could not be started or was killed has no numeric exit code: not a result.
      if (typeof failed.code !== 'number') throw e
      return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
    },
  )
}
