/** The CLI's own version and the API version it speaks. */
export const CLI_VERSION = '0.1.0';
export const CLI_API_VERSION = '1.47';
