/** The V8 flags every process of the bot runs with (see node-flags.js for why). */
export declare const NODE_FLAGS: string[];
/** The glibc malloc settings every process of the bot runs with (see node-flags.js for why). */
export declare const MALLOC_SETTINGS: Record<string, string>;
/** Restarts this process with NODE_FLAGS and MALLOC_SETTINGS when it was started without them (see node-flags.js). */
export declare function withNodeFlags(): void;
