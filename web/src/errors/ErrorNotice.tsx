// Shows what went wrong and what to do about it: log in again, wait out a rate limit (then
// retry by itself), or try again.
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { mainProblem, type Problem } from './problems';

export interface ErrorNoticeProps {
  error: unknown;
  /** Called when the user asks to try again, and when a rate limit's wait is over. */
  onRetry?: () => void;
}

export function ErrorNotice({ error, onRetry }: ErrorNoticeProps) {
  const problem = useMemo(() => mainProblem(error), [error]);
  if (!problem) return null;
  // A new error is a new notice (a second rate limit starts its own countdown).
  return <ProblemNotice key={keyOf(error)} problem={problem} onRetry={onRetry} />;
}

const keys = new WeakMap<object, number>();
let lastKey = 0;
function keyOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 0;
  if (!keys.has(error)) keys.set(error, ++lastKey);
  return keys.get(error)!;
}

export function ProblemNotice({ problem, onRetry }: { problem: Problem; onRetry?: () => void }) {
  const location = useLocation();
  if (problem.kind === 'rate-limited') return <RateLimitNotice seconds={problem.retryAfterSeconds} onRetry={onRetry} />;
  return (
    <div role="alert" className="notice notice-error">
      <span>{problem.message}</span>
      {problem.kind === 'unauthenticated' && (
        <Link to="/login" state={{ from: location.pathname + location.search }}>
          Log in again
        </Link>
      )}
      {onRetry && ['network', 'unavailable', 'unexpected', 'outcome-unknown'].includes(problem.kind) && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

function RateLimitNotice({ seconds, onRetry }: { seconds: number; onRetry?: () => void }) {
  const left = useCountdown(seconds, onRetry);
  return (
    <div role="alert" className="notice notice-warning">
      Too many requests. {onRetry ? `Trying again in ${left} s.` : `You can try again in ${left} s.`}
    </div>
  );
}

/** Seconds left of `seconds`, ticking once a second; calls `onDone` once at zero. */
export function useCountdown(seconds: number, onDone?: () => void): number {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) {
        clearInterval(timer);
        onDone?.();
      }
    }, 1000);
    return () => clearInterval(timer);
    // A new wait starts only with a new limit, not with every render's callback.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seconds]);
  return left;
}
