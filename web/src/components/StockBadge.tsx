// Live stock of a product: what can still be ordered, or that the stock service is down.
import { graphql, useFragment, type FragmentType } from '../gql';

export const StockBadgeFragment = graphql(`
  fragment StockBadge_product on Product {
    available
    inStock
  }
`);

export function StockBadge(props: { product: FragmentType<typeof StockBadgeFragment>; unavailable?: boolean }) {
  const product = useFragment(StockBadgeFragment, props.product);
  if (props.unavailable) return <span className="badge badge-unknown">stock unavailable</span>;
  if (!product.inStock) return <span className="badge badge-out">out of stock</span>;
  return <span className="badge badge-in">{product.available} available</span>;
}
