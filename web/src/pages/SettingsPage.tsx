// My notification settings: the phone number texts go to, and which channels besides the
// inbox carry my notifications (email on unless turned off, SMS only when turned on).
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@apollo/client/react';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql } from '../gql';
import { RequireSession } from '../session/RequireSession';

const MySettingsQuery = graphql(`
  query MySettings {
    me {
      id
      phone
      notificationPreferences {
        email
        sms
      }
    }
  }
`);

const UpdateMeMutation = graphql(`
  mutation UpdateMe($input: UpdateMeInput!) {
    updateMe(input: $input) {
      id
      phone
      notificationPreferences {
        email
        sms
      }
    }
  }
`);

export function SettingsPage() {
  return (
    <RequireSession>
      <Settings />
    </RequireSession>
  );
}

function Settings() {
  const { data, error: loadError, refetch } = useQuery(MySettingsQuery);
  const [updateMe, { loading }] = useMutation(UpdateMeMutation);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const me = data?.me;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    setSaved(false);
    const phone = String(form.get('phone') ?? '').trim();
    try {
      // An empty field removes the number (and, with it, SMS).
      await updateMe({ variables: { input: { phone: phone || null, notificationPreferences: { email: form.get('email') === 'on', sms: form.get('sms') === 'on' && phone !== '' } } } });
      setSaved(true);
    } catch (caught) {
      setError(caught);
    }
  }

  if (loadError) return <ErrorNotice error={loadError} onRetry={() => void refetch()} />;
  if (!me) return <p aria-busy="true">Loading your settings…</p>;
  return (
    <section className="narrow">
      <h1>Notifications</h1>
      <p>Every notification is in your inbox. Choose where else it goes.</p>
      <ErrorNotice error={error} />
      {saved && <p role="status">Saved.</p>}
      {/* Keyed by what is stored, so the form shows it again after a save. */}
      <form key={`${me.phone}-${me.notificationPreferences.email}-${me.notificationPreferences.sms}`} onSubmit={onSubmit} className="stacked">
        <label>
          Phone number <input type="tel" name="phone" autoComplete="tel" placeholder="+14155550123" defaultValue={me.phone ?? ''} />
        </label>
        <label>
          <input type="checkbox" name="email" defaultChecked={me.notificationPreferences.email} /> Email me
        </label>
        <label>
          <input type="checkbox" name="sms" defaultChecked={me.notificationPreferences.sms} /> Text me (SMS)
        </label>
        <button type="submit" disabled={loading}>
          {loading ? 'Saving…' : 'Save'}
        </button>
      </form>
    </section>
  );
}
