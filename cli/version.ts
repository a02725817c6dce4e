/**
 * pptkit's version, one home for `--version`, help and reports.
 *
 * @module
 */

/** The version of this pptkit. */
export const VERSION = "0.1.0";
