/** Whole seconds as a person reads them: `3 min 20 s`, `1 hour`, `7 days`. */
export declare const readableDuration: (seconds: number) => string;
/** An ISO 8601 duration in its own units: `PT24H` is `24 hours`, `P7D` is `7 days`. */
export declare const readableIsoDuration: (iso: string) => string;
