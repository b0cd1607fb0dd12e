/**
 * The logger the store may be given: pino's method shape (`logger.warn({ key }, 'message')`), so a pino,
 * bunyan-like or console-backed adapter fits. Without one, the library prints nothing, except one-line
 * warnings about the embedded database's folder: a development key generated, or a folder or key file that
 * other users could reach, restricted to its owner. Nothing logged carries a value or key material.
 */
export interface SecretStoreLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}
