/** The V8 flags every process of the bot runs with (see node-flags.js for why). */
export declare const NODE_FLAGS: string[];
/** Restarts this process with NODE_FLAGS when it was started without them (see node-flags.js). */
export declare function withNodeFlags(): void;
