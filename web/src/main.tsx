import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { BrowserRouter } from 'react-router';
import { createApolloClient } from './apollo/client';
import { App } from './App';
import { CartProvider } from './cart/CartContext';
import { gatewayUrl } from './config';
import { SessionProvider } from './session/SessionContext';
import { createSessionStore } from './session/sessionStore';
import './styles.css';

const sessions = createSessionStore();
const client = createApolloClient({ uri: gatewayUrl, sessions });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider store={sessions}>
      <ApolloProvider client={client}>
        <CartProvider>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </CartProvider>
      </ApolloProvider>
    </SessionProvider>
  </StrictMode>,
);
