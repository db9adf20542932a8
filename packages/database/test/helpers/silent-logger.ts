import { createLogger, type Logger } from '../../src/logger.js';

/** A package logger at level `silent`. */
export const silentLogger: Logger = createLogger({ level: 'silent', destination: { write() {} } });
