/*
 * Errors of dmashim's own (non-kernel) API. Kernel-API functions never throw for
 * misuse: they return what the kernel returns and log the kernel's message. These
 * are for programming errors against our TypeScript surface (bad options, a
 * typed view past the end of RAM, a BUG() the kernel would oops on).
 */
export type DmashimErrorCode =
  | 'EINVALOPT' /* a bad option object or argument to our own API */
  | 'EFAULT' /* a CPU access outside the machine's memory (the kernel would oops) */
  | 'EBUG' /* a kernel BUG(): the kernel would stop here */
  | 'ENOBRIDGE'; /* the C bridge (koffi) is not available */

export class DmashimError extends Error {
  readonly code: DmashimErrorCode;
  constructor(code: DmashimErrorCode, message: string) {
    super(message);
    this.name = 'DmashimError';
    this.code = code;
  }
}

export function invalidOption(message: string): never {
  throw new DmashimError('EINVALOPT', message);
}
