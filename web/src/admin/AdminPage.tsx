// The shop's back office: every order with its customer (complete, cancel), the products
// (create, restock), and the customer directory (find by name or email, see their orders).
import { useState } from 'react';
import { RequireSession } from '../session/RequireSession';
import { AdminCustomers } from './AdminCustomers';
import { AdminOrders } from './AdminOrders';
import { AdminProducts } from './AdminProducts';

export function AdminPage() {
  return (
    <RequireSession admin>
      <Admin />
    </RequireSession>
  );
}

function Admin() {
  const [customer, setCustomer] = useState<{ id: string; name: string } | null>(null);
  return (
    <section>
      <h1>Admin</h1>
      <AdminOrders customer={customer} onClearCustomer={() => setCustomer(null)} />
      <AdminCustomers onShowOrders={setCustomer} />
      <AdminProducts />
    </section>
  );
}
