// The notifications inbox: newest first, unread ones marked, "Mark as read".
import { useState } from 'react';
import { useMutation, useQuery } from '@apollo/client/react';
import { ErrorNotice } from '../errors/ErrorNotice';
import { unavailableParts } from '../errors/problems';
import { graphql, useFragment, type FragmentType } from '../gql';
import { RequireSession } from '../session/RequireSession';
import { PartialNotice } from './OrdersPage';

/** New notifications arrive a second or so after the order change that makes them. */
export const INBOX_POLL_MS = 3000;

const InboxQuery = graphql(`
  query Inbox($first: Int!, $after: String) {
    me {
      id
      notifications(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          ...InboxItem_notification
        }
      }
    }
  }
`);

const InboxItemFragment = graphql(`
  fragment InboxItem_notification on Notification {
    id
    subject
    body
    createdAt
    readAt
    order {
      id
      status
    }
  }
`);

const MarkReadMutation = graphql(`
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
      readAt
    }
  }
`);

export function InboxPage() {
  return (
    <RequireSession>
      <Inbox />
    </RequireSession>
  );
}

function Inbox() {
  const { data, error, loading, refetch, fetchMore } = useQuery(InboxQuery, {
    variables: { first: 20 },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
    pollInterval: INBOX_POLL_MS,
  });
  const notifications = data?.me?.notifications;
  const missing = unavailableParts(error);
  return (
    <section>
      <h1>Inbox</h1>
      {missing.length > 0 && data?.me && <PartialNotice parts={missing} />}
      {error && !notifications && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {loading && !data && <p aria-busy="true">Loading your notifications…</p>}
      {notifications &&
        (notifications.nodes.length === 0 ? (
          <p>Nothing here yet: your order confirmations will arrive here.</p>
        ) : (
          <>
            <ul className="inbox" aria-label="Notifications">
              {notifications.nodes.map((notification) => (
                <InboxItem key={notification.id} notification={notification} />
              ))}
            </ul>
            {notifications.pageInfo.hasNextPage && (
              <button type="button" onClick={() => void fetchMore({ variables: { after: notifications.pageInfo.endCursor } })}>
                Show older
              </button>
            )}
          </>
        ))}
    </section>
  );
}

function InboxItem(props: { notification: FragmentType<typeof InboxItemFragment> }) {
  const notification = useFragment(InboxItemFragment, props.notification);
  const [markRead, { loading }] = useMutation(MarkReadMutation, { refetchQueries: ['UnreadCount'] });
  const [error, setError] = useState<unknown>(null);
  const unread = !notification.readAt;
  return (
    <li className={unread ? 'notification unread' : 'notification'} aria-label={notification.subject}>
      <header>
        {unread && <span className="badge badge-in">new</span>} <strong>{notification.subject}</strong> ·{' '}
        <time dateTime={notification.createdAt}>{new Date(notification.createdAt).toLocaleString()}</time>
        {notification.order && <> · order {notification.order.status}</>}
      </header>
      <p className="body">{notification.body}</p>
      {unread && (
        <button
          type="button"
          disabled={loading}
          onClick={async () => {
            setError(null);
            try {
              await markRead({ variables: { id: notification.id } });
            } catch (caught) {
              setError(caught);
            }
          }}
        >
          Mark as read
        </button>
      )}
      <ErrorNotice error={error} />
    </li>
  );
}
