/** How an order is named to people: its id's last eight hex digits, as the notifications name it. */
export function orderNumber(id: string): string {
  return `#${id.slice(-8).toUpperCase()}`;
}
