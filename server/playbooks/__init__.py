"""Playbooks: early-warning rules as code that turn the metrics rows into tasks, Slack posts
and email, once per episode.

- `spec`: the TOML file (`ACCOUNT360_PLAYBOOKS`) parsed and validated (pydantic); a bad file
  is refused whole with errors naming the playbook and the key.
- `template`: `{account.name}`-style templates with a closed set of keys.
- `episodes`: which accounts each playbook fires on for a day, from the history rows of that
  day and the stored day before, and the first day of each episode.
- `service`: preview, run (each action claimed by a unique row before it is carried out, so
  two runs never duplicate one), retries with backoff, the runs history and the nudges.
- `deliver`: the task, Slack (`slack_sdk`) and SMTP (`smtplib`) actions.
- `digest`: the daily digest per CSM.
- `store`: file versions (who changed what) and the encrypted secrets.
"""
