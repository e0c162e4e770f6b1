"""Deadline reminders: obligations as data, the reminder policy, the delivery ledger, run_due.

- :mod:`bot.reminders.policy` — pure schedule computation (injected instants);
- :mod:`bot.reminders.obligations` — the pack's ``obligations.yaml``;
- :mod:`bot.reminders.state` — admin settings (due dates, opened years, done marks);
- :mod:`bot.reminders.targets` — who must be reminded at an instant;
- :mod:`bot.reminders.ledger` — exactly-once delivery through the outbox;
- :mod:`bot.reminders.service` — ``ReminderService.run_due(now)``;
- :mod:`bot.reminders.views` — what ``/nhacnho`` and ``reminders plan`` show.

The scheduler (top-level :mod:`scheduler`) only decides *when* to call ``run_due``;
the database decides *what* is sent.
"""
