// What each kind of order event says to the buyer. One template per event type; the
// body is plain text, the same in the app and in an email.
import type { OrderEvent } from '../../platform/events.js';

export interface Message {
  subject: string;
  body: string;
}

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
// The id's last eight hex digits: enough to tell a buyer's orders apart in a subject line.
const shortId = (id: string) => id.slice(-8).toUpperCase();
function itemCount(event: OrderEvent): string {
  const units = event.data.items.reduce((sum, item) => sum + item.quantity, 0);
  return `${units} ${units === 1 ? 'item' : 'items'}`;
}

function itemLines(event: OrderEvent): string[] {
  return event.data.items.map((item) => {
    const name = item.name || `Product ${shortId(item.productId)}`;
    return `  ${item.quantity} × ${name} at ${money(item.unitPriceCents)} = ${money(item.unitPriceCents * item.quantity)}`;
  });
}

const TEMPLATES: Record<OrderEvent['type'], (event: OrderEvent) => Message> = {
  'order.placed': (event) => ({
    subject: `Order confirmation #${shortId(event.orderId)}`,
    body: [
      'Thank you for your order. We are holding these items for you:',
      '',
      ...itemLines(event),
      '',
      `Total: ${money(event.data.totalCents)}`,
    ].join('\n'),
  }),
  'order.cancelled': (event) => ({
    subject: `Order #${shortId(event.orderId)} cancelled`,
    body: `Your order #${shortId(event.orderId)} (${itemCount(event)}, ${money(event.data.totalCents)}) was cancelled. Nothing will be charged.`,
  }),
  // Only order.placed carries the products' names (as they were when ordered).
  'order.completed': (event) => ({
    subject: `Order #${shortId(event.orderId)} completed`,
    body: `Your order #${shortId(event.orderId)} is complete: ${itemCount(event)}, ${money(event.data.totalCents)} in all. Thank you for shopping with us.`,
  }),
};

export function render(event: OrderEvent): Message {
  return TEMPLATES[event.type](event);
}
