// Prisma's known request errors, recognised in one place so resolvers can turn them
// into the contract's codes without each knowing Prisma's error numbers.

interface KnownRequestError {
  code: string;
  meta?: Record<string, unknown>;
}

function known(error: unknown): KnownRequestError | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    const code = (error as KnownRequestError).code;
    if (/^P\d{4}$/.test(code)) return error as KnownRequestError;
  }
  return undefined;
}

/** A unique constraint refused the write (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return known(error)?.code === 'P2002';
}

/** An interactive transaction could not get a connection in time, or ran past its timeout and was not committed (P2028). */
export function isTransactionTimeout(error: unknown): boolean {
  return known(error)?.code === 'P2028';
}

/** The row an update or delete addressed does not exist (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return known(error)?.code === 'P2025';
}

/** PostgreSQL's own SQLSTATE behind a raw query that failed (P2010 through a driver adapter), if any. */
function postgresCode(error: unknown): string | undefined {
  const cause = (known(error)?.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined)?.cause;
  return typeof cause?.originalCode === 'string' ? cause.originalCode : undefined;
}

/** A statement gave up waiting for a row or advisory lock (`lock_timeout`, SQLSTATE 55P03). */
export function isLockTimeout(error: unknown): boolean {
  return postgresCode(error) === '55P03';
}

/** A statement ran past `statement_timeout` and was cancelled (SQLSTATE 57014). */
export function isStatementTimeout(error: unknown): boolean {
  return postgresCode(error) === '57014';
}
