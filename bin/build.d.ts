// Types of bin/build.js (plain JavaScript: it runs before anything is compiled), for src/devnet.
export declare const ROOT: string
export declare const STAMP_FILE: string
export type BuildState = 'fresh' | 'missing' | 'stale' | 'no-source'
export interface BuildStatus { state: BuildState, reason: string, hash?: string }
export interface BuildStamp { sourceHash: string, builtAt: string, node: string }
export declare function sourceHash (root?: string): string
export declare function buildStatus (root?: string): BuildStatus
export declare function build (opts?: { root?: string, onlyIfStale?: boolean, log?: (line: string) => void }): Promise<BuildStamp | undefined>
export declare function ensureBuilt (opts?: { root?: string, log?: (line: string) => void }): Promise<BuildStatus>
