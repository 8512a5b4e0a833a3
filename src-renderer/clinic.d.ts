/**
 * The one object the preload (or, in development, the web host's bridge) puts on the window.
 * Nothing else from outside the page is available to the renderer.
 */
import type { ClinicBridge } from '../src-shared/ipc/contract.ts';

declare global {
  interface Window {
    readonly clinic: ClinicBridge;
  }
}

export {};
