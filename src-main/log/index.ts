export { createJsonLogger, createMemoryLogger, redact, type LogFields, type LogLevel, type Logger } from './logger.ts';
