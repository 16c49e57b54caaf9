/** The engine's version, reported by `version` and `info`. */
export const BERTH_VERSION = '0.1.0';
