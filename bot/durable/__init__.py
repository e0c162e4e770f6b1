"""Nothing lost: the durable inbox, the transactional outbox and the workers between them (issue 14).

::

    platform ──► adapter ──accept()──► inbox row (committed) ──► ack (200 / next offset)
                                          │ taken by a worker (one user's in order, leased)
                                          ▼
                       adapter.process(payload) → dispatcher → handlers
                                          │ replies, notifications, broadcasts: app.outbox.send(...)
                                          ▼ (intercepted inside the turn)
           one transaction: dialog state + outbox rows + inbox row done
                                          │
                                          ▼
                  pump: outbox row → Outbox.deliver (rate-limited) → marked sent

- :mod:`bot.durable.inbox` and :mod:`bot.durable.queue`: the SQL of the two tables
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; one atomic ``UPDATE … RETURNING`` that SQLite
  serializes as its single writer);
- :mod:`bot.durable.turn`: the unit of work of one update (dialog state and messages);
- :mod:`bot.durable.runtime`: workers, the outbox pump, lease renewal, draining at shutdown;
- :mod:`bot.durable.lease`: named database leases (one Telegram poller per database);
- :mod:`bot.durable.settings`: ``SHUTDOWN_GRACE_SECONDS``, ``INBOX_LEASE_SECONDS``...

Delivery is at least once: a crash after the platform accepted a message and before
the row is marked ``sent`` sends that one message again at the next start.
"""

from bot.durable.runtime import Runtime, runtime
from bot.durable.turn import current_turn_key, persist_state

__all__ = ["Runtime", "current_turn_key", "persist_state", "runtime"]
