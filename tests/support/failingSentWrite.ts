// A database fault for the "sent once" tests: the first write that records a delivery SENT
// fails, as a lost connection or a full disk would make it fail right after the channel
// accepted the message. A trigger raises on that first write; a sequence counts the
// writes outside the failing transaction, so a test can see the fault did happen.
import type { Database } from '../../platform/database.js';

export interface FailingSentWrite {
  /** How many writes of SENT were tried so far (the failed first one included). */
  writes(): Promise<number>;
  /** Drops the trigger and its counter. */
  remove(): Promise<void>;
}

/** Makes the first SENT write to `table` (notifications' own rows, or their SMS copies) fail. */
export async function failFirstSentWrite(database: Database, table: 'notifications' | 'sms_deliveries'): Promise<FailingSentWrite> {
  const name = `fail_first_sent_${table}`;
  const counter = `${name}_writes`;
  await database.withSession((session) =>
    session.exec(`
      DROP SEQUENCE IF EXISTS ${counter}; CREATE SEQUENCE ${counter};
      CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('${counter}') = 1 THEN RAISE EXCEPTION 'could not write the record (test fault)'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER ${name} BEFORE UPDATE ON ${table} FOR EACH ROW
        WHEN (NEW.delivery_status = 'SENT' AND OLD.delivery_status <> 'SENT') EXECUTE FUNCTION ${name}();`),
  );
  return {
    async writes() {
      const [row] = await database.withSession((session) => session.query<{ last_value: string }>(`SELECT last_value FROM ${counter}`));
      return Number(row!.last_value);
    },
    remove: () => database.withSession((session) => session.exec(`DROP TRIGGER IF EXISTS ${name} ON ${table}; DROP SEQUENCE IF EXISTS ${counter};`)),
  };
}
