// Errors this package throws. The validator never throws for a bad event (it returns issues); these are for
// programming and packaging mistakes, none of them retriable.

export const CONTRACT_ERROR_CODES = ['CONTRACT_INVALID_OPTION', 'CONTRACT_ARTIFACT_INVALID'] as const;
export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];

export class ContractError extends Error {
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
