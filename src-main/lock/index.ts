/** The screen lock: one state machine for idle, OS and manual locks (controller.ts). */
export { createLockController, type LockController, type LockEvent } from './controller.ts';
