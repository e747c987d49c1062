// A TypeScript entry point (the server, a script, a CLI) in a child process, for the tests that
// prove what a real process prints and how it exits.
//
// The child runs a bundle of the entry point, not the sources under tsx: tsx's loader hooks run on
// a thread of their own and answer every resolve and load of the library graph through it, which
// cost a server start about 1.8 s of CPU more (5.5 s against 3.7 s) and a small CLI three times its
// own cost. esbuild bundles the project's modules into one file and leaves every package to Node;
// each module keeps its own `import.meta.url` (the source file's), and `process.argv[1]` names the
// source entry, so paths found from either (static assets, migrations, the repository root, "am I
// the entry point") are the ones the sources would find. A bundle is built once per worker process
// and entry point (about 0.1-0.25 s), and named by its contents.
import { execFile, type ExecFileOptions } from 'node:child_process'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'

/** Where bundles go: inside node_modules, so that the packages they leave out resolve from there. */
const BUNDLE_DIR = path.resolve('node_modules/.cache/run-ts')

/** What a child process left behind: its exit code (0 on success), stdout and stderr. */
export interface TsRun {
  code: number
  stdout: string
  stderr: string
}

const bundles = new Map<string, Promise<string>>()

async function bundle(entry: string): Promise<string> {
  const source = JSON.stringify(entry)
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    outdir: BUNDLE_DIR,
    logLevel: 'silent',
    // Runs before any module of the bundle: the entry point sees its own path, as under tsx.
    banner: { js: `process.argv[1] = ${source};` },
    plugins: [
      {
        name: 'source-paths',
        setup(b) {
          b.onLoad({ filter: /\.[cm]?ts$/ }, async ({ path: file }) => {
            const url = pathToFileURL(file).href
            const text = (await readFile(file, 'utf8'))
              .replaceAll('import.meta.url', JSON.stringify(url))
              .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(file)))
              .replaceAll('import.meta.filename', JSON.stringify(file))
            return { contents: text, loader: 'ts', resolveDir: path.dirname(file) }
          })
        },
      },
    ],
  })
  const [output] = result.outputFiles
  if (output === undefined) throw new Error(`run-ts: esbuild wrote nothing for ${entry}`)
  const file = path.join(BUNDLE_DIR, `${path.basename(entry, path.extname(entry))}-${output.hash.replace(/[^A-Za-z0-9]/g, '_')}.mjs`)
  const exists = await stat(file).then(
    () => true,
    () => false,
  )
  if (!exists) {
    await mkdir(BUNDLE_DIR, { recursive: true })
    // Written aside and renamed: another worker may be writing the same bundle at the same time.
    const partial = `${file}.${process.pid}.partial`
    await writeFile(partial, output.contents)
    await rename(partial, file)
  }
  return file
}

/** The command and arguments that run `script` (resolved against `cwd`), for spawn when a test reads the output as it comes. */
export async function tsCommand(script: string, args: string[] = [], cwd = process.cwd()): Promise<[string, string[]]> {
  const entry = path.resolve(cwd, script)
  let built = bundles.get(entry)
  if (built === undefined) {
    built = bundle(entry)
    bundles.set(entry, built)
    // A failed build is not kept: the next call tries again.
    built.catch(() => bundles.delete(entry))
  }
  return [process.execPath, [await built, ...args]]
}

/** Runs `script` to its end; resolves with its exit code and output, whether it succeeded or not. */
export async function runTs(script: string, args: string[] = [], opts: ExecFileOptions = {}): Promise<TsRun> {
  const [command, argv] = await tsCommand(script, args, opts.cwd === undefined ? undefined : String(opts.cwd))
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
