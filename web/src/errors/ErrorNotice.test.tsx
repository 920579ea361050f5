// @vitest-environment jsdom
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { act, cleanup, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorNotice } from './ErrorNotice';

const refusal = (extensions: Record<string, unknown>, message = 'refused') => new CombinedGraphQLErrors({ data: null, errors: [{ message, extensions }] });

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('ErrorNotice', () => {
  it('counts down a rate limit and retries by itself when it is over', () => {
    const retry = vi.fn();
    render(<ErrorNotice error={refusal({ code: 'RATE_LIMITED', retryAfterSeconds: 3 })} onRetry={retry} />, { wrapper: MemoryRouter });
    expect(screen.getByRole('alert').textContent).toContain('Trying again in 3 s');
    act(() => void vi.advanceTimersByTime(2000));
    expect(screen.getByRole('alert').textContent).toContain('Trying again in 1 s');
    expect(retry).not.toHaveBeenCalled();
    act(() => void vi.advanceTimersByTime(1000));
    expect(retry).toHaveBeenCalledTimes(1);
    act(() => void vi.advanceTimersByTime(5000));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('asks to log in again on UNAUTHENTICATED', () => {
    render(<ErrorNotice error={refusal({ code: 'UNAUTHENTICATED' }, 'Your token has expired.')} />, { wrapper: MemoryRouter });
    expect(screen.getByRole('alert').textContent).toContain('Your token has expired.');
    expect(screen.getByRole('link', { name: 'Log in again' }).getAttribute('href')).toBe('/login');
  });

  it('offers to try again when a part of the shop is down, and not for a refusal', () => {
    const retry = vi.fn();
    const { rerender } = render(<ErrorNotice error={refusal({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'orders' })} onRetry={retry} />, { wrapper: MemoryRouter });
    act(() => screen.getByRole('button', { name: 'Try again' }).click());
    expect(retry).toHaveBeenCalledTimes(1);
    rerender(<ErrorNotice error={refusal({ code: 'FORBIDDEN' }, 'Not yours.')} onRetry={retry} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe('Not yours.');
  });

  it('shows nothing without an error', () => {
    const { container } = render(<ErrorNotice error={undefined} />, { wrapper: MemoryRouter });
    expect(container.textContent).toBe('');
  });
});
