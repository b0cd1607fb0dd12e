/**
 * The logger the store may be given: pino's method shape (`logger.warn({ key }, 'message')`), so a pino,
 * bunyan-like or console-backed adapter fits. Without one, the library prints nothing, except the one-line
 * warning when it generates a development key for the embedded database. Nothing logged carries a value.
 */
export interface SecretStoreLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}
