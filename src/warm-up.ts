import type { Deps } from './deps.js'
export async function warmUp(_deps: Deps): Promise<void> {}
