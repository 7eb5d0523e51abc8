/** Package name and version, sent as the User-Agent. Kept in step with package.json by a unit test. */
export const PACKAGE_NAME = 'privacy-deletions';
/** This package's version. */
export const PACKAGE_VERSION = '0.1.0';
/** Sent with every request: `privacy-deletions/<version> (node <version>)`. */
export const USER_AGENT = `${PACKAGE_NAME}/${PACKAGE_VERSION} (node ${process.versions.node})`;
