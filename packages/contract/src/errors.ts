// Errors this package throws. The validator never throws for a bad event (it returns issues); these are for
// programming and packaging mistakes, none of them retriable.

export type ContractErrorCode = 'CONTRACT_INVALID_OPTION' | 'CONTRACT_ARTIFACT_INVALID';

/**
 * Marks every ContractError, whichever copy of this module made it: a process that loads this package both with
 * `import` (dist/) and with `require` (dist-cjs/) holds two ContractError classes; Symbol.for gives both the same
 * symbol, so `instanceof` holds across them.
 */
const CONTRACT_ERROR = Symbol.for('@event-sidecar/contract.ContractError');

export class ContractError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as { [CONTRACT_ERROR]?: unknown })[CONTRACT_ERROR] === true
    );
  }

  override readonly name = 'ContractError';
  readonly code: ContractErrorCode;
  readonly canRetry = false;

  constructor(code: ContractErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // Enumerable so that a JSON logger shows them.
    Object.defineProperty(this, 'message', { enumerable: true, value: message });
    Object.defineProperty(this, 'cause', { enumerable: true, value: options?.cause });
  }
}

Object.defineProperty(ContractError.prototype, CONTRACT_ERROR, { value: true });
