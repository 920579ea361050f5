const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatCents(cents: number): string {
  return format.format(cents / 100);
}

export function Money({ cents }: { cents: number }) {
  return <span className="money">{formatCents(cents)}</span>;
}
