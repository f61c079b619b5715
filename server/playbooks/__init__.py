"""Playbooks: early-warning rules as code that turn the metrics rows into tasks, Slack posts
and email, once per episode.

- `spec`: the TOML file (`ACCOUNT360_PLAYBOOKS`) parsed and validated (pydantic); a bad file
  is refused whole with errors naming the playbook and the key.
- `template`: `{account.name}`-style templates with a closed set of keys.
- `episodes`: which accounts each playbook fires on for a day, from the history rows of that
  day and the stored day before, and the first day of each episode.
- `asof`: when each account began (`new_account`) and its signals' reasons as of a day.
- `service`: preview, run (each action claimed by a unique row before it is carried out, so
  two runs never duplicate one), retries with backoff, the runs history and the nudges.
- `deliver`: the Slack (`slack_sdk`: webhook, channel, direct message) and SMTP (`smtplib`,
  TLS verified) calls.
- `retries`: a failed Slack or SMTP call retried with backoff (actions and digests alike).
- `digest`: the daily digest per CSM.
- `store`: file versions (who changed what; an edit on disk recorded by whichever reader
  sees it first) and the encrypted secrets.
"""
