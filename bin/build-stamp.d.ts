/** True when `root`/dist holds a build at least as new as every file under src/ and cli/. */
export function builtIsCurrent (root: string): boolean
