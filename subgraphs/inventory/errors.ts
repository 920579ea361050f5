// The inventory subgraph's own errors and input rules, on top of platform/errors.ts.
import { badInput, codedError, conflict, ErrorCode } from '../../platform/errors.js';

export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_STOCK = 1_000_000_000;
export const MAX_LINE_QUANTITY = 10_000;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_NAME_LENGTH = 200;

export const skuTaken = (sku: string) => conflict(`A product with sku ${sku} already exists.`, { field: 'sku' });

export function outOfStock(product: { id: string; name: string; stock: number; reserved: number }, requested: number) {
  const available = product.stock - product.reserved;
  return codedError(ErrorCode.OutOfStock, `Only ${available} of ${product.name} available, ${requested} requested.`, {
    productId: product.id,
    available,
    requested,
  });
}

export function validateSku(sku: string): string {
  const trimmed = sku.trim();
  if (!SKU.test(trimmed)) throw badInput("sku must be 1 to 64 letters, digits, '.', '_' or '-'.", 'sku');
  return trimmed;
}

export function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) throw badInput(`name must be 1 to ${MAX_NAME_LENGTH} characters long.`, 'name');
  return trimmed;
}

export function validateCount(value: number, field: string, { min, max }: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${field} must be an integer from ${min} to ${max}, got ${value}.`, field);
  return value;
}
