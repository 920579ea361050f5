// The product catalogue: reads and the admin's changes.
import { badInput, conflict, notFound } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { decodeCursor, encodeCursor, pageSize, toConnection } from '../../platform/pagination.js';
import { isRecordNotFound, isUniqueViolation } from '../../platform/prismaErrors.js';
import { MAX_PRICE_CENTS, MAX_STOCK, skuTaken, validateCount, validateName, validateSku } from './errors.js';
import type { Prisma, PrismaClient, Product } from './generated/prisma/client.js';
import type { CreateProductInput, QueryProductsArgs, UpdateProductInput } from './generated/schema.js';

const MAX_SEARCH_LENGTH = 100;

/** Products by name then id, with a keyset cursor: stable while products are added. */
export async function listProducts(prisma: PrismaClient, args: QueryProductsArgs) {
  const size = pageSize(args.first);
  const where: Prisma.ProductWhereInput = { deletedAt: null };
  const search = args.search?.trim();
  if (search) {
    if (search.length > MAX_SEARCH_LENGTH) throw badInput(`search must be at most ${MAX_SEARCH_LENGTH} characters.`, 'search');
    // Prisma passes `contains` to ILIKE as it is: escape LIKE's wildcards so '%' means '%'.
    const pattern = search.replace(/[\\%_]/g, '\\$&');
    where.OR = [{ name: { contains: pattern, mode: 'insensitive' } }, { sku: { contains: pattern, mode: 'insensitive' } }];
  }
  const page: Prisma.ProductWhereInput[] = [where];
  if (args.after) {
    const [name, id] = decodeCursor(args.after, ['string', 'string']) as [string, string];
    if (!isUuid(id)) throw badInput('after is not a cursor this API gave out.', 'after');
    page.push({ OR: [{ name: { gt: name } }, { name, id: { gt: id } }] });
  }
  const rows = await prisma.product.findMany({ where: { AND: page }, orderBy: [{ name: 'asc' }, { id: 'asc' }], take: size + 1 });
  return toConnection(rows, size, (product) => encodeCursor([product.name, product.id]), () => prisma.product.count({ where }));
}

export async function createProduct(prisma: PrismaClient, input: CreateProductInput): Promise<Product> {
  const data = {
    sku: validateSku(input.sku),
    name: validateName(input.name),
    priceCents: validateCount(input.priceCents, 'priceCents', { min: 0, max: MAX_PRICE_CENTS }),
    stock: validateCount(input.stock, 'stock', { min: 0, max: MAX_STOCK }),
  };
  try {
    return await prisma.product.create({ data });
  } catch (error) {
    if (isUniqueViolation(error)) throw skuTaken(data.sku);
    throw error;
  }
}

export async function updateProduct(prisma: PrismaClient, id: string, input: UpdateProductInput): Promise<Product> {
  const data: Prisma.ProductUpdateInput = {};
  if (input.sku != null) data.sku = validateSku(input.sku);
  if (input.name != null) data.name = validateName(input.name);
  if (input.priceCents != null) data.priceCents = validateCount(input.priceCents, 'priceCents', { min: 0, max: MAX_PRICE_CENTS });
  try {
    return await prisma.product.update({ where: { id, deletedAt: null }, data });
  } catch (error) {
    if (isRecordNotFound(error)) throw notFound('Product', id);
    if (isUniqueViolation(error)) throw skuTaken(String(data.sku));
    throw error;
  }
}

export async function restock(prisma: PrismaClient, id: string, quantity: number): Promise<Product> {
  validateCount(quantity, 'quantity', { min: 1, max: MAX_STOCK });
  // One conditional UPDATE: concurrent restocks and reservations never lose an update.
  const { count } = await prisma.product.updateMany({
    where: { id, deletedAt: null, stock: { lte: MAX_STOCK - quantity } },
    data: { stock: { increment: quantity } },
  });
  const product = await prisma.product.findUnique({ where: { id } });
  if (!product || product.deletedAt) throw notFound('Product', id);
  if (count === 0) throw badInput(`Stock cannot exceed ${MAX_STOCK}; ${product.stock} on hand.`, 'quantity');
  return product;
}

export async function deleteProduct(prisma: PrismaClient, id: string): Promise<boolean> {
  const { count } = await prisma.product.updateMany({ where: { id, deletedAt: null, reserved: 0 }, data: { deletedAt: new Date() } });
  if (count === 1) return true;
  const product = await prisma.product.findUnique({ where: { id } });
  if (!product || product.deletedAt) throw notFound('Product', id);
  throw conflict(`${product.name} has ${product.reserved} units reserved by pending orders; complete or cancel them first.`, {
    reserved: product.reserved,
  });
}
